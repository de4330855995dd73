"""The picture a simulated camera's snapshot shows: its name and the time it was taken (camera
clock, UTC), drawn onto a small JPEG with Pillow, so a person looking at an alarm's snapshot
sees which camera took it and when."""
from __future__ import annotations

import io
import time

from PIL import Image, ImageDraw

__all__ = ["render_snapshot"]


def render_snapshot(camera: str, taken_at: float, *, width: int = 320, height: int = 180) -> bytes:
    image = Image.new("RGB", (width, height), (32, 48, 64))
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, width - 5, height - 5), outline=(200, 200, 200))
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(taken_at)) + f".{int(taken_at % 1 * 1000):03d} UTC"
    draw.text((12, 12), camera, fill=(255, 255, 255))
    draw.text((12, 32), stamp, fill=(255, 220, 120))
    draw.text((12, height - 24), "campus-hub simulated camera", fill=(160, 160, 160))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70, comment=f"{camera} {stamp}".encode())
    return out.getvalue()
