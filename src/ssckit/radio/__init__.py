"""radio: 5G coverage planning over terrain with ITU-R and 3GPP propagation models."""
