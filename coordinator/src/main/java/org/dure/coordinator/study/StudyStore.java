package org.dure.coordinator.study;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.dure.coordinator.state.ClusterState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Studies and their rounds in the cluster state, as JSON documents. */
public final class StudyStore {
  private static final Logger log = LoggerFactory.getLogger(StudyStore.class);
  public static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature());
  private final IMap<String, String> studies;
  private final IMap<String, String> rounds;
  private final IMap<String, String> reports;
  private volatile Observer observer = new Observer() {};

  /** Sees every study view and round record as it is stored (metrics); called on the storing thread. */
  public interface Observer {
    default void study(StudyView study) {}

    default void round(String studyId, RoundRecord round) {}
  }

  public StudyStore(ClusterState state) {
    this.studies = state.studies();
    this.rounds = state.rounds();
    this.reports = state.reports();
  }

  public void observe(Observer observer) {
    this.observer = java.util.Objects.requireNonNull(observer, "observer");
  }

  /** Stores the study's validation report (written through to disk like studies and rounds). */
  public void putReport(org.dure.coordinator.report.StudyReport report) {
    reports.setAsync(report.studyId(), write(report)).whenComplete((v, e) -> {
      if (e != null) log.error("could not persist the validation report of study {}: {}", report.studyId(), e.toString());
    });
  }

  /** The study's validation report, once its final model has been evaluated at the sites. */
  public Optional<org.dure.coordinator.report.StudyReport> report(String studyId) {
    String json = reports.get(studyId);
    return json == null ? Optional.empty() : Optional.of(read(json, org.dure.coordinator.report.StudyReport.class));
  }

  static String roundKey(String studyId, int round) {
    return studyId + "." + String.format("%05d", round);
  }

  /** Writes asynchronously; writes to one key keep their order. */
  public void put(StudyView study) {
    observer.study(study);
    studies.setAsync(study.id(), write(study)).whenComplete((v, e) -> {
      if (e != null) log.error("could not persist study {}: {}", study.id(), e.toString());
    });
  }

  public void put(String studyId, RoundRecord round) {
    observer.round(studyId, round);
    rounds.setAsync(roundKey(studyId, round.round()), write(round)).whenComplete((v, e) -> {
      if (e != null) log.error("could not persist round {} of study {}: {}", round.round(), studyId, e.toString());
    });
  }

  public Optional<StudyView> get(String id) {
    String json = studies.get(id);
    return json == null ? Optional.empty() : Optional.of(read(json, StudyView.class));
  }

  public List<StudyView> all() {
    List<StudyView> out = new ArrayList<>();
    for (String json : studies.values()) out.add(read(json, StudyView.class));
    out.sort(Comparator.comparing(StudyView::createdAt));
    return out;
  }

  public List<RoundRecord> rounds(String studyId) {
    List<RoundRecord> out = new ArrayList<>();
    for (int r = 0; ; r++) {
      String json = rounds.get(roundKey(studyId, r));
      if (json == null) break;
      out.add(read(json, RoundRecord.class));
    }
    return out;
  }

  static String write(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + o.getClass().getSimpleName(), e);
    }
  }

  static <T> T read(String json, Class<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt stored " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
    }
  }
}
