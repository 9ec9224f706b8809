//! Open311 GeoReport v2 against the complaints registry.
