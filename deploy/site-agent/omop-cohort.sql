-- Dure example: one row per adult person from an OMOP CDM v5.4 database (PostgreSQL), for the site agent's
-- "data": {"jdbc": {"queryFile": "omop-cohort.sql", ...}}. The agent runs it read-only, as a role that may only
-- SELECT (see docs/guide-data-officers.md, "Connecting data"), and reads only the columns a study names.
--
--   age_years          age in whole years at the index date (today), from person.year_of_birth only
--   sex                'M' (gender_concept_id 8507) or 'F' (8532); empty for other or unknown genders
--   bmi                mean of the measurements in the look-back window (5 years), rounded to 2 decimals;
--   systolic_bp          empty when the person has none (studies treat empty as a missing value)
--   glucose
--   measurement_hba1c
--   creatinine
--   smoker             1 if the person has an observation "Smoker" (4298794), else 0
--   t2dm               label: 1 if the person has a condition "Type 2 diabetes mellitus" (201826), else 0
--
-- Concept ids are OMOP standard concepts (LOINC for measurements, SNOMED for conditions and observations):
--   3038553 Body mass index (LOINC 39156-5)        3004249 Systolic blood pressure (LOINC 8480-6)
--   3004501 Glucose in serum or plasma (2345-7)    3004410 Hemoglobin A1c in blood (LOINC 4548-4)
--   3016723 Creatinine in serum or plasma (2160-0)
-- To also count descendant concepts (e.g. every kind of type 2 diabetes), join concept_ancestor:
--   condition_concept_id IN (SELECT descendant_concept_id FROM concept_ancestor WHERE ancestor_concept_id = 201826)
-- Units are assumed consistent per concept (kg/m2, mmHg, mg/dL, %, mg/dL); filter on unit_concept_id if not.
-- No identifier leaves this query: rows are ordered by person_id so that row numbers in the agent's messages are
-- stable, but person_id itself is not selected.
-- Set the schema in the URL (jdbc:postgresql://host:5432/cdm?currentSchema=cdm) or qualify the table names.
WITH params AS (
  SELECT CURRENT_DATE AS index_date, INTERVAL '5 years' AS look_back
),
labs AS (
  SELECT m.person_id,
         AVG(m.value_as_number) FILTER (WHERE m.measurement_concept_id = 3038553) AS bmi,
         AVG(m.value_as_number) FILTER (WHERE m.measurement_concept_id = 3004249) AS systolic_bp,
         AVG(m.value_as_number) FILTER (WHERE m.measurement_concept_id = 3004501) AS glucose,
         AVG(m.value_as_number) FILTER (WHERE m.measurement_concept_id = 3004410) AS hba1c,
         AVG(m.value_as_number) FILTER (WHERE m.measurement_concept_id = 3016723) AS creatinine
  FROM measurement m CROSS JOIN params
  WHERE m.measurement_concept_id IN (3038553, 3004249, 3004501, 3004410, 3016723)
    AND m.value_as_number IS NOT NULL
    AND m.measurement_date > params.index_date - params.look_back
    AND m.measurement_date <= params.index_date
  GROUP BY m.person_id
),
smokers AS (
  SELECT DISTINCT person_id FROM observation WHERE observation_concept_id = 4298794
),
t2dm AS (
  SELECT DISTINCT person_id FROM condition_occurrence WHERE condition_concept_id = 201826
)
SELECT
  EXTRACT(YEAR FROM params.index_date)::int - p.year_of_birth             AS age_years,
  CASE p.gender_concept_id WHEN 8507 THEN 'M' WHEN 8532 THEN 'F' END      AS sex,
  ROUND(l.bmi, 2)                                                         AS bmi,
  ROUND(l.systolic_bp, 2)                                                 AS systolic_bp,
  ROUND(l.glucose, 2)                                                     AS glucose,
  ROUND(l.hba1c, 2)                                                       AS measurement_hba1c,
  ROUND(l.creatinine, 2)                                                  AS creatinine,
  CASE WHEN s.person_id IS NULL THEN 0 ELSE 1 END                         AS smoker,
  CASE WHEN d.person_id IS NULL THEN 0 ELSE 1 END                         AS t2dm
FROM person p
CROSS JOIN params
LEFT JOIN labs l ON l.person_id = p.person_id
LEFT JOIN smokers s ON s.person_id = p.person_id
LEFT JOIN t2dm d ON d.person_id = p.person_id
WHERE EXTRACT(YEAR FROM params.index_date)::int - p.year_of_birth >= 18
ORDER BY p.person_id;
