"""The studies that parameter sources cite by short code ([M21], [B24], ...), written out in full.

Parameter sources in the scenario schema name studies by these codes; the report lists the ones
its assumptions table cites, and docs/model.md (section 8) gives the same list with more detail.
"""

from __future__ import annotations

import re

CITATIONS: dict[str, str] = {
    "M21": "Moe C., Brinchmann B., Rasmussen L., et al. (2021). Implementing individual placement and support "
           "(IPS): the experiences of employment specialists in the early implementation phase of IPS in Northern "
           "Norway. The IPSNOR study. BMC Psychiatry 21:632.",
    "B22a": "Butenko D., Rinaldi M., Brinchmann B., et al. (2022). Turnover of IPS employment specialists: rates "
            "and predictors. Journal of Vocational Rehabilitation 57(1):23-32.",
    "B22b": "Butenko D., Rinaldi M., Brinchmann B., et al. (2022). The personality profile of IPS employment "
            "specialists, and how it relates to job satisfaction: a longitudinal cohort study. Scandinavian "
            "Journal of Psychology 64(1):71-79.",
    "B24": "Butenko D., Rinaldi M., Moe C., et al. (2024). \"What I thought was the dream job was a little "
           "different than I had expected\": a qualitative study exploring the turnover of IPS employment "
           "specialists. IOS Press, published 9 July 2024 (venue most likely the Journal of Vocational "
           "Rehabilitation; not checked).",
    "Moe25": "Moe C., Brinchmann B., et al. (2025). A qualitative study of the IPS employment specialist role in "
             "the context of Nav employment in Norway. BMC Psychiatry.",
    "Reme19": "Reme S.E., Monstad K., Fyhn T., et al. (2019). A randomized controlled multicenter trial of "
              "individual placement and support for patients with moderate-to-severe mental illness. "
              "Scandinavian Journal of Work, Environment & Health 45(1):33-41.",
}

CODE = re.compile(r"\b([A-Z][A-Za-z]*\d{2}[a-z]?)\b")
"""A citation code in a source text: capitalised letters then a two-digit year (M21, B22a, Moe25)."""


def cited(texts: list[str]) -> dict[str, str]:
    """The citations the texts name by code, in CITATIONS' order."""
    codes = {code for text in texts for code in CODE.findall(text)}
    return {code: full for code, full in CITATIONS.items() if code in codes}
