-- The national data file of every landed UIS-layout source (sdg, opri, and any new one).
MODEL (
  name @{source}.data_national,
  kind VIEW,
  blueprints @osaa_blueprints('uis'),
  description 'UIS-layout national data file as landed in the lake.'
);

SELECT
  indicator_id::VARCHAR AS indicator_id,
  country_id::VARCHAR AS country_id,
  year::INTEGER AS year,
  value::DOUBLE AS value,
  magnitude::VARCHAR AS magnitude,
  qualifier::VARCHAR AS qualifier
FROM @landing(@source, @data_stem)
