"""Full-scale benchmarks, each against a raw baseline run in the same process."""
