"""ssckit: smart sustainable city toolkit (U4SSC KPIs, 5G planning, EMF, Smart School, skills)."""

__version__ = "0.1.0"
