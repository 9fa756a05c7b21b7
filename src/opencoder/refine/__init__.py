"""RefineCode: the raw-code pipeline (preprocess, language ID, dedup, transform, signals, filter, sample)."""
