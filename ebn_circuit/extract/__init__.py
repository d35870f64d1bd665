"""Transfer-curve extraction: transistor-level runs → tidy tables with their conditions."""
