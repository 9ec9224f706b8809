//! Open311 GeoReport v2 for complaints (issue 18): discovery, services, requests, in `.json`
//! and `.xml`, with the standard's error bodies. Routes are added by the complaints module.

use crate::module::Routes;

/// Adds the Open311 routes (`/open311/v2/...`).
pub fn routes(r: Routes) -> Routes {
    r
}
