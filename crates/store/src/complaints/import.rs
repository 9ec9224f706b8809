//! Bulk import of complaint tickets: the rows another hotline system exported, checked and
//! written in one pass, with their histories.
