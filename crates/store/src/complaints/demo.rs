//! The demo district's complaints: tickets over the months up to the business date, in every
//! state, with their histories.
