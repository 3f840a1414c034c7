package org.dure.protocol.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import org.dure.crypto.SecureFiles;
import org.dure.protocol.study.ModelSpec;
import org.dure.protocol.study.StudySpec;

/**
 * A saved model: a directory with {@code model.json} and one {@code .npy} file per weight and bias
 * tensor, loadable with numpy alone:
 *
 * <pre>{@code
 * import json, numpy as np
 * m = json.load(open("model.json"))
 * x = (raw_features - np.array(m["scaling"]["means"])) / np.array(m["scaling"]["scales"])
 * for layer in m["layers"]:
 *     x = x @ np.load(layer["weight"]) + np.load(layer["bias"])
 *     x = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh,
 *          "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[layer["activation"]](x)
 * }</pre>
 *
 * Directories are written to a temporary sibling and renamed into place, so a reader never sees half a model.
 */
public final class ModelFiles {
  public static final String FORMAT = "dure-model/1";
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ModelFiles() {}

  /** Study-level facts written into {@code model.json} beside the tensors. */
  public record Metadata(String studyId, String studyName, int round, JsonNode metrics) {}

  public static ObjectNode describe(StudySpec spec, FeatureScaling scaling, Metadata meta) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", FORMAT);
    root.put("kind", spec.model().kind().wireName());
    root.put("studyId", meta.studyId());
    root.put("studyName", meta.studyName());
    root.put("round", meta.round());
    ArrayNode names = root.putArray("features");
    spec.encodedFeatureNames().forEach(names::add);
    ObjectNode sc = root.putObject("scaling");
    ArrayNode means = sc.putArray("means"), scales = sc.putArray("scales");
    Arrays.stream(scaling.means()).forEach(means::add);
    Arrays.stream(scaling.scales()).forEach(scales::add);
    root.putObject("label").put("column", spec.labelColumn()).put("positive", spec.labelPositive());
    int inputs = spec.inputWidth();
    int[] sizes = spec.model().layerSizes(inputs);
    List<ModelSpec.Tensor> tensors = spec.model().tensors(inputs);
    ArrayNode layers = root.putArray("layers");
    for (int l = 0; l + 1 < sizes.length; l++) {
      boolean last = l + 2 == sizes.length;
      layers.addObject().put("inputs", sizes[l]).put("outputs", sizes[l + 1])
          .put("activation", last ? "sigmoid" : spec.model().activation())
          .put("weight", tensors.get(2 * l).name() + ".npy")
          .put("bias", tensors.get(2 * l + 1).name() + ".npy");
    }
    root.put("parameterCount", spec.model().parameterCount(inputs));
    root.set("study", readTree(spec.toJson()));
    if (meta.metrics() != null) root.set("metrics", meta.metrics());
    return root;
  }

  /** Writes the model directory atomically (temporary sibling, then rename). */
  public static void write(Path dir, StudySpec spec, FeatureScaling scaling, float[] parameters, Metadata meta) throws IOException {
    int inputs = spec.inputWidth();
    int expected = spec.model().parameterCount(inputs);
    if (parameters.length != expected)
      throw new IllegalArgumentException("model " + spec.model() + " with " + inputs + " inputs has " + expected + " parameters, got " + parameters.length);
    Path parent = dir.toAbsolutePath().getParent();
    SecureFiles.createOwnerOnlyDirectories(parent);
    // Owner-only, like every file below it: a model is derived from the sites' patients.
    Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp", SecureFiles.ownerOnlyDirectory(parent));
    try {
      for (ModelSpec.Tensor t : spec.model().tensors(inputs))
        Npy.write(tmp.resolve(t.name() + ".npy"), t.shape(), parameters, t.offset(), t.length());
      SecureFiles.writeOwnerOnly(tmp.resolve("model.json"), MAPPER.writeValueAsBytes(describe(spec, scaling, meta)));
      Path old = null;
      if (Files.exists(dir)) {
        old = parent.resolve("." + dir.getFileName() + ".old-" + System.nanoTime());
        Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      if (old != null) deleteTree(old);
    } catch (IOException | RuntimeException e) {
      deleteTree(tmp);
      throw e;
    }
  }

  /** Reads the flat parameter vector back from a model directory, in the layout of {@link ModelSpec}. */
  public static float[] readParameters(Path dir) throws IOException {
    JsonNode root = MAPPER.readTree(dir.resolve("model.json").toFile());
    int total = root.path("parameterCount").asInt();
    float[] out = new float[total];
    int offset = 0;
    for (JsonNode layer : root.path("layers")) {
      for (String key : List.of("weight", "bias")) {
        Npy.Array a = Npy.read(dir.resolve(layer.path(key).asText()));
        float[] d = a.data();
        System.arraycopy(d, 0, out, offset, d.length);
        offset += d.length;
      }
    }
    if (offset != total) throw new IOException(dir + ": tensors hold " + offset + " values but model.json says " + total);
    return out;
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    }
  }

  private static JsonNode readTree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
