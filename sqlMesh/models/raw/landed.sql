-- Every landed file the project reads, as a view over its Parquet in this environment's lake.
-- Files of a known layout (sdg.data_national, sdg.label, wdi.csv, wdi.series, ...) get the column
-- types of osaa_lib.layouts; any other landed file (a long-layout file, the file a handwritten
-- source model reads) is `<source>.<its stem in lower case>` with the columns it landed with.
MODEL (
  name @{source}.@{table},
  kind VIEW,
  blueprints @osaa_blueprints('raw'),
  description 'A landed file as read from the lake (types: osaa_lib.layouts, else as landed).'
);

SELECT
  @typed_columns(@fields)
FROM @landing(@source, @stem)
