"""Propagation models, one file each: NumPy in, NumPy out, validity ranges enforced."""
