//! `qcity bench complaints`: (being built).
