//! The public reads Open311 GeoReport v2 serves: requests without personal data, filtered as
//! the standard says.
