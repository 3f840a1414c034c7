package org.dure.coordinator.study;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.dure.protocol.study.StudySpec;

/**
 * The sites of one study and where each stands: its participation state, whether it has the study's feature scaling
 * (ready to train), whether it sits out a retry, and how many sites a round needs and why.
 */
final class SiteRoster {
  private final StudySpec spec;
  private final Runnable changed;
  private final Map<String, SiteParticipation> participation = new TreeMap<>();
  private final Set<String> ready = new LinkedHashSet<>();
  /** Sites that dropped out of an aborted attempt: the retry of that round goes ahead without them. */
  private final Set<String> sittingOut = new LinkedHashSet<>();

  /** {@code changed} runs after every {@link #mark} (it persists the study's view). */
  SiteRoster(StudySpec spec, Map<String, SiteParticipation> restored, Runnable changed) {
    this.spec = spec;
    this.changed = changed;
    participation.putAll(restored);
  }

  Map<String, SiteParticipation> view() {
    return participation;
  }

  SiteParticipation get(String site) {
    return participation.get(site);
  }

  boolean is(String site, ParticipationState state) {
    SiteParticipation p = participation.get(site);
    return p != null && state == p.state();
  }

  /** Sets the site's participation (the caller persists). */
  void put(String site, SiteParticipation p) {
    participation.put(site, p);
  }

  /** Moves the site to {@code state} with {@code reason}, keeping what it reported, and persists. */
  void mark(String site, ParticipationState state, String reason) {
    SiteParticipation p = participation.get(site);
    participation.put(site, p == null ? new SiteParticipation(state, reason, 0, null) : p.with(state, reason));
    changed.run();
  }

  /** Sites the round's aggregate left out become DROPPED (with why), unless they were already out some other way. */
  void dropped(Map<String, String> dropped) {
    dropped.forEach((site, why) -> {
      if (is(site, ParticipationState.ACCEPTED)) mark(site, ParticipationState.DROPPED, why);
    });
  }

  /** A site whose contribution was accepted takes part again. */
  void contributed(String site) {
    if (is(site, ParticipationState.DROPPED)) mark(site, ParticipationState.ACCEPTED, null);
  }

  // ------------------------------------------------------------------------------------------ readiness

  /** The site has the study's feature scaling: it is offered every round. */
  void ready(String site) {
    ready.add(site);
  }

  /** Whether the site was ready (and no longer is). */
  boolean notReady(String site) {
    return ready.remove(site);
  }

  boolean isReady(String site) {
    return ready.contains(site);
  }

  void clearReady() {
    ready.clear();
  }

  /** The sites of an aborted attempt that dropped out sit out its retry. */
  void sitOut(Collection<String> sites) {
    sittingOut.addAll(sites);
  }

  /** The site may join the retry after all (it approved again on a new connection). */
  void back(String site) {
    sittingOut.remove(site);
  }

  /** A round completed: every site may take part in the next one. */
  void roundCompleted() {
    sittingOut.clear();
  }

  /** The online sites a round starts with: ready and not sitting out, in connection order. */
  List<String> participants(List<String> online) {
    return online.stream().filter(ready::contains).filter(s -> !sittingOut.contains(s)).toList();
  }

  /** The training rows the sites reported when accepting. */
  long rows(Collection<String> sites) {
    long total = 0;
    for (String s : sites) {
      SiteParticipation p = participation.get(s);
      total += p == null ? 0 : Math.max(0, p.rows());
    }
    return total;
  }

  /** Whether the site is accepted and can train now (an accepted site dropped from an earlier round but still ready is). */
  private boolean canTrain(String site) {
    return !sittingOut.contains(site) && (is(site, ParticipationState.ACCEPTED)
        || (is(site, ParticipationState.DROPPED) && ready.contains(site)));
  }

  /**
   * The online sites that can take the study's next step. When too few others are, the sites that sat out the retry
   * of an aborted attempt are taken again (after a coordinator restart every site did); the attempts stay bounded.
   * Returns the sites taken back (possibly none) and the sites that can take part.
   */
  record Admission(List<String> takenBack, List<String> accepted) {}

  Admission admit(List<String> online) {
    List<String> accepted = online.stream().filter(this::canTrain).toList();
    List<String> back = online.stream().filter(sittingOut::contains)
        .filter(s -> is(s, ParticipationState.ACCEPTED) || is(s, ParticipationState.DROPPED)).toList();
    if (accepted.size() >= needed() || back.isEmpty() || accepted.size() + back.size() < needed()) {
      return new Admission(List.of(), accepted);
    }
    sittingOut.removeAll(back);
    for (String s : back) if (is(s, ParticipationState.DROPPED)) mark(s, ParticipationState.ACCEPTED, null);
    return new Admission(back, online.stream().filter(this::canTrain).toList());
  }

  /** Whether every online site has answered the offer (or its offer deadline passed). */
  boolean allAnswered(List<String> online) {
    return online.stream().noneMatch(s -> is(s, ParticipationState.OFFERED));
  }

  // ------------------------------------------------------------------------------------------ sites needed

  /**
   * Sites a round needs: the study's own figure, and with secure aggregation at least the largest
   * {@code minSecureRoster} an accepted site stated (a smaller roster is one that site refuses, so starting it would
   * only abort).
   */
  int needed() {
    Strictest s = strictest();
    return s == null ? spec.sitesNeeded() : s.sites();
  }

  /** Why {@link #needed()} is what it is, naming the field (or the site whose policy) that sets it. */
  String neededBecause() {
    Strictest s = strictest();
    return s == null ? spec.sitesNeededBecause() : s.site() + "'s policy minSecureRoster " + s.sites();
  }

  /** The accepted site whose stated minSecureRoster is the largest, above the study's own figure. */
  private record Strictest(String site, int sites) {}

  private Strictest strictest() {
    if (!spec.privacy().secureAggregation().enabled()) return null;
    Strictest most = null;
    for (Map.Entry<String, SiteParticipation> e : participation.entrySet()) {
      SiteParticipation p = e.getValue();
      boolean takesPart = p.state() == ParticipationState.ACCEPTED || p.state() == ParticipationState.DROPPED;
      int floor = most == null ? spec.sitesNeeded() : most.sites();
      if (takesPart && p.minSecureRoster() != null && p.minSecureRoster() > floor) most = new Strictest(e.getKey(), p.minSecureRoster());
    }
    return most;
  }

  // ------------------------------------------------------------------------------------------ the roll

  /**
   * The sites as the wait for them sees them. {@code undecided} could still accept: they are answering the offer,
   * their data officer decides, or they are enrolled but not connected.
   */
  record Roll(int needed, String neededBecause, List<String> accepted, Map<String, String> out,
              Map<String, String> undecided, int enrolled) {
    int possible() {
      return accepted.size() + undecided.size();
    }

    /** "1 of at least 2 sites accepted (hospital-a; minSites 2); declined: hospital-b (reason); ...". */
    String describe() {
      StringBuilder b = new StringBuilder(accepted.size() + " of at least " + needed + " sites accepted (");
      if (!accepted.isEmpty()) b.append(String.join(", ", accepted)).append("; ");
      b.append("needed: ").append(neededBecause).append(")");
      out.forEach((site, why) -> b.append("; ").append(site).append(" ").append(why));
      undecided.forEach((site, why) -> b.append("; ").append(site).append(" ").append(why));
      if (enrolled == 0) {
        b.append("; no site is enrolled in the consortium yet");
      } else if (enrolled < needed) {
        b.append("; the consortium has only ").append(enrolled).append(" enrolled sites, fewer than the ").append(needed)
            .append(neededBecause.contains("minSecureRoster")
                ? " needed: enrol more sites (a site's own policy sets this minimum; its data officer decides it)"
                : " needed: lower " + (neededBecause.startsWith("privacy") ? "privacy.secureAggregation.threshold" : "minSites")
                    + " or enrol more sites");
      }
      return b.toString();
    }
  }

  Roll roll(List<String> onlineSites, Set<String> enrolled) {
    Set<String> online = new LinkedHashSet<>(onlineSites);
    Set<String> all = new TreeSet<>(participation.keySet());
    all.addAll(online);
    all.addAll(enrolled);
    List<String> accepted = new ArrayList<>();
    Map<String, String> out = new LinkedHashMap<>(), undecided = new LinkedHashMap<>();
    for (String site : all) {
      SiteParticipation p = participation.get(site);
      ParticipationState state = p == null ? null : p.state();
      String why = p == null || p.reason() == null ? "" : ": " + p.reason();
      boolean on = online.contains(site);
      if (state == ParticipationState.DECLINED || state == ParticipationState.REFUSED || state == ParticipationState.WITHDRAWN) {
        out.put(site, state.name().toLowerCase(Locale.ROOT) + why);
      } else if (state == ParticipationState.PENDING) {
        undecided.put(site, "awaits its data officer's decision");
      } else if (!on) {
        if (enrolled.contains(site)) undecided.put(site, "is not connected");
      } else if (sittingOut.contains(site)) {
        // only for one attempt: it counts among the sites that could still take part
        undecided.put(site, "sits out the retry (it dropped out of the aborted attempt)");
      } else if (canTrain(site)) {
        accepted.add(site);
      } else if (state == ParticipationState.OFFERED) {
        undecided.put(site, "has not answered yet");
      } else if (state == ParticipationState.NO_ANSWER) {
        out.put(site, "did not answer the offer within " + spec.offerDeadlineSeconds() + " s");
      } else if (state != null) {
        out.put(site, state.name().toLowerCase(Locale.ROOT) + why);
      }
    }
    return new Roll(needed(), neededBecause(), accepted, out, undecided, enrolled.size());
  }
}
