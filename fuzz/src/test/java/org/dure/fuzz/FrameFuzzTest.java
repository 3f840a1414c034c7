package org.dure.fuzz;

import static org.dure.fuzz.Contract.check;
import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.dure.protocol.wire.Frames;
import org.junit.jupiter.api.Tag;

/** The binary model frame decoder both sides run on every binary WebSocket message. */
@Tag("fuzz")
class FrameFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void decode(byte[] bytes) {
    String latin1 = new String(bytes, StandardCharsets.ISO_8859_1);
    Frames.Frame frame = refusesOnlyWith(latin1, () -> Frames.decode(bytes), Frames.FrameException.class);
    Frames.Header header = refusesOnlyWith(latin1, () -> Frames.readHeader(bytes), Frames.FrameException.class);
    refusesOnlyWith(latin1, () -> Frames.decodeModel(bytes), Frames.FrameException.class);
    if (frame == null) return;
    check(header != null, "decode accepted a frame whose header readHeader refuses");
    check(header.kind() == frame.kind() && header.studyId().equals(frame.studyId()) && header.round() == frame.round()
        && header.modelVersion() == frame.modelVersion(), "readHeader and decode disagree");
    int values = frame instanceof Frames.ModelFrame m ? m.valuesUnsafe().length : ((Frames.MaskedFrame) frame).masked().length;
    int signature = frame.signature().length;
    check(Frames.HEADER_BYTES + 4L * values + signature == bytes.length, "decoded sizes do not add up to the frame");
    check(signature <= Frames.MAX_SIGNATURE, "signature above the maximum");
    check((signature == 0) == (frame.signedDigest().length == 0), "a digest without a signature, or the reverse");
    if (frame instanceof Frames.ModelFrame m) {
      // re-encoding the decoded fields gives the frame back, bit for bit apart from float payload canonicalisation
      byte[] again = Frames.encode(m.kind(), m.studyId(), m.round(), m.modelVersion(), m.samples(), m.trainLoss(), m.valuesUnsafe());
      if (signature > 0) again = Frames.withSignature(again, m.signature());
      check(again.length == bytes.length, "re-encoded frame has another length");
      check(Arrays.equals(again, 0, 40, bytes, 0, 40), "re-encoded header differs");
      check(Arrays.equals(again, bytes.length - signature, bytes.length, bytes, bytes.length - signature, bytes.length),
          "re-encoded signature differs");
    }
  }
}
