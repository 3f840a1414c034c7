package org.dure.cohort;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.time.Period;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Generates synthetic hospital cohorts for demos and tests: one CSV per hospital ({@code hospital-a.csv},
 * {@code hospital-b.csv}, ...) plus {@code truth.json}, the model that drew the outcomes. The same
 * configuration and seed always give the same files; each site draws from its own random stream, so a
 * site's rows do not change when other sites are added or resized.
 *
 * <h2>Columns</h2>
 * Every file is UTF-8 with a header row and RFC 4180 quoting (addresses contain commas), CRLF line ends.
 * <table>
 *   <caption>Columns of a site file</caption>
 *   <tr><th>column</th><th>kind</th><th>content</th></tr>
 *   <tr><td>{@code patient_id}</td><td>identifier</td><td>site code and sequence, {@code A-000017}</td></tr>
 *   <tr><td>{@code mrn}</td><td>direct identifier</td><td>medical record number with the hospital's prefix, {@code HA-20481733}</td></tr>
 *   <tr><td>{@code name}</td><td>direct identifier</td><td>Korean name in Hangul, family name first, drawn from census and birth-cohort frequencies</td></tr>
 *   <tr><td>{@code rrn}</td><td>direct identifier</td><td>resident registration number {@code YYMMDD-SNNNNNN}, consistent with birth date and sex, legacy check digit</td></tr>
 *   <tr><td>{@code birth_date}</td><td>direct identifier</td><td>ISO date</td></tr>
 *   <tr><td>{@code phone}</td><td>direct identifier</td><td>{@code 010-XXXX-XXXX}</td></tr>
 *   <tr><td>{@code address}</td><td>direct identifier</td><td>road-name address: province, district, road, building number, sometimes {@code 101동 1203호}</td></tr>
 *   <tr><td>{@code age}</td><td>quasi-identifier, feature</td><td>completed years on {@link #REFERENCE_DATE}, 20..95</td></tr>
 *   <tr><td>{@code sex}</td><td>quasi-identifier, feature</td><td>{@code M} or {@code F}</td></tr>
 *   <tr><td>{@code region}</td><td>quasi-identifier</td><td>province of residence, e.g. {@code 서울특별시}</td></tr>
 *   <tr><td>{@code bmi}</td><td>feature</td><td>body-mass index, kg/m², one decimal, 15..45</td></tr>
 *   <tr><td>{@code sbp}</td><td>feature</td><td>systolic blood pressure, mmHg, 85..220</td></tr>
 *   <tr><td>{@code glucose}</td><td>feature</td><td>fasting plasma glucose, mg/dL, 60..400</td></tr>
 *   <tr><td>{@code ldl}</td><td>feature</td><td>LDL cholesterol, mg/dL, 30..260</td></tr>
 *   <tr><td>{@code creatinine}</td><td>feature</td><td>serum creatinine, mg/dL, two decimals, 0.3..8</td></tr>
 *   <tr><td>{@code smoking_status}</td><td>categorical feature</td><td>{@code never}, {@code former}, {@code current}</td></tr>
 *   <tr><td>{@code outcome}</td><td>label</td><td>{@code 1} if a major cardiovascular event occurred, else {@code 0}</td></tr>
 * </table>
 * The clinical columns {@code bmi} to {@code smoking_status} are missing completely at random with the
 * configured rate; a site writes a missing cell either empty or as {@code NA} (each site has its own habit).
 * {@code age}, {@code sex} and {@code outcome} are never missing.
 *
 * <h2>Site differences</h2>
 * Sites are not identically distributed: each has its own age and sex mix and home province, its own
 * intercept shift of the true model (prevalence beyond case mix), and some have an instrument offset added
 * to recorded values (for example {@code hospital-b}'s creatinine reads 0.15 mg/dL high). The true model
 * uses the true values; {@code truth.json} lists the model and each site's shifts and offsets.
 */
public final class CohortGenerator {
  /** The date on which ages are computed. */
  public static final LocalDate REFERENCE_DATE = LocalDate.of(2025, 1, 1);
  /** The study that {@link #exampleStudyJson()} describes trains on these features (label {@code outcome}). */
  static final List<String> STUDY_FEATURES = List.of("age", "bmi", "sbp", "glucose", "ldl", "creatinine", "sex",
      "smoking_status");

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final int[] patientsPerSite;
  private final long seed;
  private final double missingRate;

  private CohortGenerator(int[] patientsPerSite, long seed, double missingRate) {
    this.patientsPerSite = patientsPerSite;
    this.seed = seed;
    this.missingRate = missingRate;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The CSV header, in order. */
  public static List<String> columns() {
    return CohortCsv.COLUMNS;
  }

  /** Generates every site in memory. */
  public List<SiteCohort> generate() {
    List<SiteCohort> sites = new ArrayList<>();
    for (int i = 0; i < patientsPerSite.length; i++) sites.add(generateSite(SiteProfile.forSite(i, seed), i));
    return sites;
  }

  /**
   * Generates every site and writes {@code <site>.csv} for each plus {@code truth.json} into {@code dir}
   * (created if needed; existing files of the same name are replaced). Each file is written to a
   * temporary name and moved into place, so a failure never leaves a half-written CSV behind.
   */
  public List<SiteCohort> writeTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<SiteCohort> sites = generate();
    for (SiteCohort site : sites) {
      writeAtomically(dir.resolve(site.fileName()), out -> CohortCsv.write(site, out));
    }
    writeAtomically(dir.resolve("truth.json"), out -> out.write(truthJson(sites)));
    return sites;
  }

  /**
   * A study over the generated columns, ready to submit: logistic regression on age, bmi, sbp, glucose,
   * ldl, creatinine, sex ({@code F}, {@code M}) and smoking status ({@code never}, {@code former},
   * {@code current}), label {@code outcome} positive {@code "1"}, mean imputation of missing values, FedAvg
   * over at least two sites.
   */
  public static String exampleStudyJson() {
    return """
        {
          "name": "cardiovascular-event-risk",
          "model": {"kind": "logistic_regression"},
          "features": [
            "age", "bmi", "sbp", "glucose", "ldl", "creatinine",
            {"name": "sex", "type": "categorical", "categories": ["F", "M"]},
            {"name": "smoking_status", "type": "categorical", "categories": ["never", "former", "current"]}
          ],
          "label": {"column": "outcome", "positive": "1"},
          "missingValues": "impute_mean",
          "training": {"rounds": 20, "localEpochs": 1, "batchSize": 32, "learningRate": 0.1, "optimizer": "sgd", "seed": 42},
          "aggregation": {"strategy": "fedavg"},
          "minSites": 2,
          "roundDeadlineSeconds": 120,
          "validationFraction": 0.2
        }
        """;
  }

  /**
   * The {@code "pseudonymisation"} section of a site agent's configuration for the generated files: direct
   * identifiers deleted (MRN, name, RRN, phone, address, birth date — the file already holds the age in years),
   * patient ids replaced by keyed pseudonyms, and records suppressed in (sex, region) groups smaller than 5.
   * The exact age stays, as the example study needs it; a data officer who wants age in the quasi-identifiers
   * would generalise it (and the study would use the band).
   *
   * @param secretFile where the site secret lives (outside the data and the agent's work directory)
   */
  public static String pseudonymisationJson(String secretFile) {
    return """
        {
          "secretFile": %s,
          "k": 5,
          "columns": {
            "patient_id": "pseudonym",
            "mrn": "delete", "name": "delete", "rrn": "delete", "phone": "delete", "address": "delete",
            "birth_date": "delete"
          },
          "quasiIdentifiers": ["sex", "region"]
        }
        """.formatted(quote(secretFile));
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The content of {@code truth.json} for {@code sites} generated by this generator. */
  String truthJson(List<SiteCohort> sites) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("description", "synthetic hospital cohorts generated by org.dure.cohort.CohortGenerator; outcome = major cardiovascular event");
    root.put("seed", seed);
    root.put("missingRate", missingRate);
    root.put("referenceDate", REFERENCE_DATE.toString());
    root.put("model", TrueModel.describe());
    List<Map<String, Object>> siteList = new ArrayList<>();
    for (int i = 0; i < sites.size(); i++) {
      SiteCohort s = sites.get(i);
      SiteProfile p = SiteProfile.forSite(i, seed);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("name", s.site());
      o.put("file", s.fileName());
      o.put("description", p.description());
      o.put("rows", s.patients().size());
      o.put("positives", s.positives());
      o.put("prevalence", s.prevalence());
      o.put("interceptShift", p.interceptShift());
      o.put("ageMean", p.ageMean());
      o.put("ageSd", p.ageSd());
      o.put("maleFraction", p.maleFraction());
      o.put("homeRegion", p.homeProvince());
      o.put("measurementOffsets", new java.util.TreeMap<>(p.measurementOffsets()));
      o.put("missingToken", p.missingToken());
      siteList.add(o);
    }
    root.put("sites", siteList);
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise truth.json", e);
    }
  }

  private SiteCohort generateSite(SiteProfile site, int index) {
    SplittableRandom rng = new SplittableRandom(seed ^ (0x632BE59BD9B4E019L * (index + 1)));
    KoreanRegions.Province home = KoreanRegions.byName(site.homeProvince());
    int n = patientsPerSite[index];
    List<Patient> patients = new ArrayList<>(n);
    long mrn = 10_000_000L + rng.nextInt(80_000_000);
    for (int k = 0; k < n; k++) {
      mrn += 1 + rng.nextInt(40);
      patients.add(patient(site, home, k + 1, mrn, rng));
    }
    return new SiteCohort(site.name(), site.description(), site.missingToken(), patients);
  }

  private Patient patient(SiteProfile site, KoreanRegions.Province home, int sequence, long mrn, SplittableRandom rng) {
    String sex = rng.nextDouble() < site.maleFraction() ? "M" : "F";
    boolean male = sex.equals("M");
    double ageYears = clamp(site.ageMean() + site.ageSd() * rng.nextGaussian(), 20, 95.99);
    LocalDate birth = REFERENCE_DATE.minusDays(Math.round(ageYears * 365.2425));
    int age = Period.between(birth, REFERENCE_DATE).getYears();
    KoreanRegions.Province region = rng.nextDouble() < site.homeShare() ? home : KoreanRegions.anyProvince(rng);
    KoreanRegions.Province registeredIn = rng.nextDouble() < 0.6 ? region : KoreanRegions.anyProvince(rng);

    String name = KoreanNames.fullName(sex.charAt(0), birth.getYear(), rng);
    String rrn = ResidentRegistrationNumber.generate(birth, sex.charAt(0), KoreanRegions.areaCode(registeredIn, rng), rng);
    String phone = String.format("010-%04d-%04d", 2000 + rng.nextInt(8000), rng.nextInt(10000));
    String address = KoreanRegions.address(region, rng);

    double u = rng.nextDouble();
    String smoking = male ? (u < 0.40 ? "never" : u < 0.75 ? "former" : "current")
        : (u < 0.88 ? "never" : u < 0.93 ? "former" : "current");
    double bmi = round(clamp(23.3 + (male ? 0.9 : 0) + 0.02 * (age - 50) + 3.3 * rng.nextGaussian(), 15, 45), 1);
    double sbp = Math.round(clamp(112 + 0.45 * (age - 40) + (male ? 4 : 0) + 1.1 * (bmi - 24) + 13 * rng.nextGaussian(), 85, 220));
    double diabetesRisk = 1 / (1 + Math.exp(-(-2.6 + 0.04 * (age - 50) + 0.18 * (bmi - 24))));
    double glucoseExtra = rng.nextDouble() < diabetesRisk ? 35 + 30 * Math.abs(rng.nextGaussian()) : 0;
    double glucose = Math.round(clamp(93 + 0.2 * (age - 40) + 1.5 * (bmi - 24) + 9 * rng.nextGaussian() + glucoseExtra, 60, 400));
    double ldl = Math.round(clamp(112 + 0.25 * (age - 40) - (male ? 3 : 0) + 1.2 * (bmi - 24) + 30 * rng.nextGaussian(), 30, 260));
    double creatinine = round(clamp(((male ? 0.95 : 0.72) + 0.004 * (age - 40)) * Math.exp(0.15 * rng.nextGaussian())
        + (rng.nextDouble() < 0.03 ? 1.5 * Math.abs(rng.nextGaussian()) : 0), 0.3, 8), 2);

    double p = TrueModel.probability(site.interceptShift(), age, sex, bmi, sbp, glucose, ldl, creatinine, smoking);
    int outcome = rng.nextDouble() < p ? 1 : 0;

    return new Patient(site.code() + "-" + String.format("%06d", sequence), "H" + site.code() + "-" + mrn, name, rrn,
        birth, phone, address, age, sex, region.name(),
        recorded(bmi, site.offset("bmi"), 1, rng), recorded(sbp, site.offset("sbp"), 0, rng),
        recorded(glucose, site.offset("glucose"), 0, rng), recorded(ldl, site.offset("ldl"), 0, rng),
        recorded(creatinine, site.offset("creatinine"), 2, rng),
        rng.nextDouble() < missingRate ? null : smoking, outcome, p);
  }

  /** The value the site records: the true value plus the site's offset, or null when the cell goes missing. */
  private Double recorded(double trueValue, double offset, int decimals, SplittableRandom rng) {
    if (rng.nextDouble() < missingRate) return null;
    return round(trueValue + offset, decimals);
  }

  private static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  private static double round(double v, int decimals) {
    double f = Math.pow(10, decimals);
    return Math.round(v * f) / f;
  }

  private interface Content {
    void writeTo(Writer out) throws IOException;
  }

  private static void writeAtomically(Path target, Content content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        content.writeTo(out);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Configures a generator; defaults: 3 sites of 500 patients, seed 42, missing rate 0.02. */
  public static final class Builder {
    static final int MAX_SITES = 702; // site codes A..ZZ
    private Integer sites;
    private int patientsPerSite = 500;
    private int[] sizes;
    private long seed = 42;
    private double missingRate = 0.02;

    private Builder() {}

    /** Number of hospitals, 1..702. */
    public Builder sites(int sites) {
      if (sites < 1 || sites > MAX_SITES) throw new IllegalArgumentException("sites must be between 1 and " + MAX_SITES + ", was " + sites);
      this.sites = sites;
      return this;
    }

    /** The same number of patients at every site. */
    public Builder patientsPerSite(int patients) {
      checkPatients(patients);
      this.patientsPerSite = patients;
      this.sizes = null;
      return this;
    }

    /** One size per site, in site order; sets the number of sites unless {@link #sites(int)} says otherwise. */
    public Builder sitePatients(int... perSite) {
      if (perSite.length == 0) throw new IllegalArgumentException("sitePatients needs at least one size");
      for (int p : perSite) checkPatients(p);
      this.sizes = perSite.clone();
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Probability that each clinical cell is missing, 0..0.5. */
    public Builder missingRate(double missingRate) {
      if (!(missingRate >= 0 && missingRate <= 0.5))
        throw new IllegalArgumentException("missingRate must be between 0 and 0.5, was " + missingRate);
      this.missingRate = missingRate;
      return this;
    }

    public CohortGenerator build() {
      int[] perSite;
      if (sizes != null) {
        if (sites != null && sites != sizes.length)
          throw new IllegalArgumentException("sites is " + sites + " but " + sizes.length + " site sizes were given: "
              + Arrays.toString(sizes) + "; give one size per site, or a single size for all");
        perSite = sizes.clone();
      } else {
        perSite = new int[sites == null ? 3 : sites];
        Arrays.fill(perSite, patientsPerSite);
      }
      if (perSite.length > MAX_SITES) throw new IllegalArgumentException("sites must be between 1 and " + MAX_SITES + ", was " + perSite.length);
      return new CohortGenerator(perSite, seed, missingRate);
    }

    private static void checkPatients(int patients) {
      if (patients < 1 || patients > 10_000_000)
        throw new IllegalArgumentException("patients per site must be between 1 and 10000000, was " + patients);
    }
  }
}
