-- The World Bank series metadata (definitions of each indicator code).
MODEL (
  name @{source}.series,
  kind VIEW,
  blueprints @osaa_blueprints('wdi'),
  description 'World Bank series metadata file as landed.'
);

SELECT
  series_code::VARCHAR AS series_code,
  topic::VARCHAR AS topic,
  indicator_name::VARCHAR AS indicator_name,
  short_definition::VARCHAR AS short_definition,
  long_definition::VARCHAR AS long_definition
FROM @landing(@source, @series_stem)
