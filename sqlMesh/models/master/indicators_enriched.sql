-- Indicators with country reference data, so analysts can filter to Africa (is_africa) and keep
-- World Bank aggregates (is_aggregate) apart from countries. Codes unknown to the reference keep
-- NULL flags rather than being guessed.
MODEL (
  name master.indicators_enriched,
  kind VIEW,
  description 'master.indicators joined to reference.countries (names, M49 regions, UN groups).'
);

SELECT
  i.indicator_id,
  i.country_id,
  i.year,
  i.value,
  i.magnitude,
  i.qualifier,
  i.indicator_description,
  i.extra,
  i.source,
  c.name AS country_name,
  c.iso2,
  c.m49,
  c.region,
  c.sub_region,
  c.intermediate_region,
  c.is_africa,
  c.is_ldc,
  c.is_lldc,
  c.is_sids,
  c.is_aggregate
FROM master.indicators AS i
LEFT JOIN reference.countries AS c
  ON i.country_id = c.iso3
