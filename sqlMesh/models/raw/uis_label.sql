-- The indicator labels of every landed UIS-layout source.
MODEL (
  name @{source}.label,
  kind VIEW,
  blueprints @osaa_blueprints('uis'),
  description 'UIS-layout label file (indicator id -> English label) as landed in the lake.'
);

SELECT
  indicator_id::VARCHAR AS indicator_id,
  indicator_label_en::VARCHAR AS indicator_label_en
FROM @landing(@source, @label_stem)
