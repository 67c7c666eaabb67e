"""ssckit: smart sustainable city toolkit (ITU U4SSC KPIs, 5G planning, EMF, Smart School, skills)."""

__version__ = "0.1.0"
