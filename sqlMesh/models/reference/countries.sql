-- Countries and World Bank aggregates with M49 regions and UN group flags (osaa_lib.reference).
-- 'NA' is Namibia's ISO2 code: only empty cells are nulls.
MODEL (
  name reference.countries,
  kind SEED (
    path '$root/seeds/countries.csv',
    csv_settings (
      keep_default_na = false,
      na_values = ARRAY['']
    )
  ),
  columns (
    iso3 VARCHAR,
    iso2 VARCHAR,
    name VARCHAR,
    m49 INTEGER,
    region VARCHAR,
    sub_region VARCHAR,
    intermediate_region VARCHAR,
    is_africa BOOLEAN,
    is_ldc BOOLEAN,
    is_lldc BOOLEAN,
    is_sids BOOLEAN,
    is_aggregate BOOLEAN
  ),
  grain iso3,
  audits (
    not_null(columns := (iso3, name, is_aggregate)),
    unique_values(columns := (iso3))
  ),
  description 'Countries (ISO, UN M49, LDC/LLDC/SIDS flags) and World Bank aggregates (is_aggregate).'
);
