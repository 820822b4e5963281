"""scorelab: guided diffusion-based speech generation with a repurposed speech classifier.

The companion library of the scorelab course (Makarov & Gerkmann, Interspeech 2026).
The core imports without librosa or soundfile; modules that need them import them lazily.
"""
from .config import DIGITS, PROFILES, DataConfig, MelConfig, Profile, get_profile

__version__ = "0.1.0"

__all__ = ["DIGITS", "PROFILES", "DataConfig", "MelConfig", "Profile", "get_profile", "__version__"]
