"""The orders service: one of the two applications built on the shared layers."""

import shop

print(f"orders service: order total {shop.money(4250)} (shop library {shop.VERSION})")
