"""Digital-skills assessment: item response theory calibration, scoring and adaptive testing."""
