"""Link budget: RSRP, noise, SINR and the downlink throughput estimate (pure NumPy)."""

from __future__ import annotations

import numpy as np

#: Thermal noise power spectral density at 290 K [dBm/Hz].
THERMAL_NOISE_DBM_HZ = -174.0

#: NR maximum transmission bandwidth configuration N_RB for FR1 at 30 kHz SCS
#: (3GPP TS 38.101-1 Table 5.3.2-1): channel bandwidth [MHz] -> N_RB.
NRB_FR1_30KHZ = {5: 11, 10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 40: 106, 50: 133, 60: 162,
                 70: 189, 80: 217, 90: 245, 100: 273}


def n_rb(bandwidth_mhz: np.ndarray | float) -> np.ndarray:
    """Resource blocks N_RB for FR1 at 30 kHz subcarrier spacing (TS 38.101-1 Table 5.3.2-1).

    Bandwidths not in the table are refused (ValueError naming the allowed values).
    """
    bw = np.atleast_1d(np.asarray(bandwidth_mhz, dtype=float))
    out = np.empty(bw.shape, dtype=int)
    for i, b in enumerate(bw.ravel()):
        if float(b) not in NRB_FR1_30KHZ:
            raise ValueError(f"bandwidth_mhz {b:g} is not an NR FR1 channel bandwidth at 30 kHz; "
                             f"allowed {sorted(NRB_FR1_30KHZ)}")
        out.ravel()[i] = NRB_FR1_30KHZ[float(b)]
    return out


def rsrp_dbm(tx_power_dbm: np.ndarray, n_rb_: np.ndarray, gain_dbi: np.ndarray,
             path_loss_db: np.ndarray, other_losses_db: float | np.ndarray = 0.0) -> np.ndarray:
    """Reference signal received power [dBm] per resource element.

    RSRP = P_tx − 10 log10(12 N_RB) + G_tx − L − L_other, the transmit power [dBm] being
    spread evenly over the 12 N_RB subcarriers (TS 38.215 §5.1.1 defines RSRP per resource
    element); receive antenna gain 0 dBi.
    """
    return (np.asarray(tx_power_dbm) - 10 * np.log10(12 * np.asarray(n_rb_))
            + gain_dbi - path_loss_db - other_losses_db)


def noise_dbm(bandwidth_hz: np.ndarray | float, noise_figure_db: float = 7.0) -> np.ndarray:
    """Receiver noise power [dBm] in ``bandwidth_hz``: −174 + 10 log10(B) + NF."""
    return THERMAL_NOISE_DBM_HZ + 10 * np.log10(bandwidth_hz) + noise_figure_db


def sinr_db(signal_dbm: np.ndarray, interference_mw: np.ndarray, noise_dbm_: np.ndarray
            ) -> np.ndarray:
    """SINR [dB] = S / (I + N), with the interference given as a linear sum [mW]."""
    return signal_dbm - 10 * np.log10(interference_mw + 10 ** (np.asarray(noise_dbm_) / 10))


def peak_rate_mbps(n_rb_: np.ndarray | int, layers: int = 4, qm: int = 8, scaling: float = 1.0,
                   mu: int = 1, overhead: float = 0.14) -> np.ndarray:
    """Approximate NR peak data rate [Mbit/s] for one carrier (3GPP TS 38.306 §4.1.2).

    rate = 1e-6 · v · Q_m · f · R_max · (N_PRB · 12 / T_s^μ) · (1 − OH), with
    R_max = 948/1024 and T_s^μ = 1e-3 / (14 · 2^μ) s.

    Parameters
    ----------
    n_rb_ : resource blocks of the carrier.
    layers : MIMO layers v (4 for a 4x4 downlink).
    qm : modulation order Q_m (8 for 256QAM).
    scaling : scaling factor f (1, 0.8, 0.75 or 0.4).
    mu : numerology (1 for 30 kHz).
    overhead : OH, 0.14 for FR1 downlink.
    """
    r_max = 948 / 1024
    ts = 1e-3 / (14 * 2**mu)
    return 1e-6 * layers * qm * scaling * r_max * (np.asarray(n_rb_) * 12 / ts) * (1 - overhead)


def spectral_efficiency(sinr: np.ndarray, alpha: float = 0.6, sinr_min_db: float = -10.0,
                        se_max: float = 948 / 1024 * 8) -> np.ndarray:
    """Per-layer spectral efficiency [bit/s/Hz] from SINR [dB]: the attenuated Shannon bound of
    3GPP TR 36.942 Annex A (α = 0.6), zero below ``sinr_min_db`` and capped at the 256QAM,
    R = 948/1024 maximum (7.41 bit/s/Hz) — the link-level mapping used for coverage maps."""
    s = np.asarray(sinr, dtype=float)
    se = alpha * np.log2(1 + 10 ** (s / 10))
    return np.where(s < sinr_min_db, 0.0, np.minimum(se, se_max))


def throughput_mbps(sinr: np.ndarray, n_rb_: np.ndarray | int, layers: int = 4) -> np.ndarray:
    """Downlink throughput estimate [Mbit/s]: the TS 38.306 peak rate scaled by
    spectral_efficiency(SINR) / maximum spectral efficiency."""
    se_max = 948 / 1024 * 8
    return peak_rate_mbps(n_rb_, layers=layers) * spectral_efficiency(sinr, se_max=se_max) / se_max
