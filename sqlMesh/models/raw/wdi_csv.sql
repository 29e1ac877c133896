-- The wide World Bank data file: one column per year, as many as the landed header holds.
MODEL (
  name @{source}.csv,
  kind VIEW,
  blueprints @osaa_blueprints('wdi'),
  description 'World Bank bulk data file (wide: one DOUBLE column per year) as landed.'
);

SELECT
  country_name::VARCHAR AS country_name,
  country_code::VARCHAR AS country_code,
  indicator_name::VARCHAR AS indicator_name,
  indicator_code::VARCHAR AS indicator_code,
  @year_columns(@years)
FROM @landing(@source, @csv_stem)
