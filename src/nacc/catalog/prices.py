"""What a credit is worth in won, for reports that put a price on delivered compute.

A credit is one H100 SXM hour (DESIGN.md). Its price is an assumption built from two sourced
figures (../shared/FACTS.md): specialty clouds rent an H100 SXM for US$2.50-3.50 an hour
(FACTS.md 2a, mercatus-ai.com/blog/cloud-gpu-pricing, May 2026), of which we take the middle,
and 1,364.5 KRW per US dollar (FACTS.md 3b, derived from KRW 7 trn = US$5.13 bn).
"""

from __future__ import annotations

H100_USD_PER_HOUR = 3.00  # assumption: the middle of the specialty-cloud range US$2.50-3.50
KRW_PER_USD = 1364.5
KRW_PER_CREDIT = H100_USD_PER_HOUR * KRW_PER_USD  # 4,093.5 KRW
