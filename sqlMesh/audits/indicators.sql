-- Audits for every indicator table (sources.* and master.*). Duplicates and odd years are real
-- in publishers' data: they warn (the quality checks report them); a null key blocks the run.
AUDIT (
  name indicator_grain_unique,
  blocking false
);
SELECT indicator_id, country_id, year, COUNT(*) AS copies
FROM @this_model
GROUP BY indicator_id, country_id, year
HAVING COUNT(*) > 1;

AUDIT (
  name indicator_source_grain_unique,
  blocking false
);
SELECT source, indicator_id, country_id, year, COUNT(*) AS copies
FROM @this_model
GROUP BY source, indicator_id, country_id, year
HAVING COUNT(*) > 1;

AUDIT (
  name indicator_keys_not_null
);
SELECT *
FROM @this_model
WHERE indicator_id IS NULL OR country_id IS NULL OR year IS NULL;

AUDIT (
  name plausible_years,
  blocking false
);
SELECT *
FROM @this_model
WHERE year < 1900 OR year > 2100;
