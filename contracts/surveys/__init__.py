"""The operators' own user survey (issue 17): after a full guidance session (and, per
operator, after a completed referral) the subject's consenting contact person or founder is
e-mailed a personal, single-use, expiring link to the national evaluation's four questions;
the answers become ``Evaluation`` rows of origin "own"."""
