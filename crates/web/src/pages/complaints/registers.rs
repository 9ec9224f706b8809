//! The complaint registers the office keeps: the dispatch catalogue, the holiday calendar, the social quality supervisors and the quality disputes (arbitration and appraisal).

use crate::module::Routes;

pub fn routes(r: Routes) -> Routes {
    r
}
