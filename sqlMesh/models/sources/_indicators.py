"""What every `sources.*` model shares: the output columns and audits of an indicator table."""

INDICATOR_COLUMNS = {
    "indicator_id": "VARCHAR",
    "country_id": "VARCHAR",
    "year": "INTEGER",
    "value": "DOUBLE",
    "magnitude": "VARCHAR",
    "qualifier": "VARCHAR",
    "indicator_description": "VARCHAR",
}
INDICATOR_AUDITS = ["indicator_keys_not_null", "plausible_years", "indicator_grain_unique"]
