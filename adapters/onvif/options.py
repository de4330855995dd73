"""Configuration of the ONVIF adapter (``adapters[].options``) and its cameras (``devices[].options``)."""
from __future__ import annotations

import os

import pydantic
from pydantic import ConfigDict, Field

from adapters.onvif.soap import DEFAULT_MAX_BYTES

__all__ = ["OnvifOptions", "CameraOptions"]


class OnvifOptions(pydantic.BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pull_timeout: float = Field(10.0, gt=0, le=300,
                                description="PullMessages Timeout: how long the camera may hold a pull open, seconds.")
    message_limit: int = Field(100, ge=1, le=1000, description="PullMessages MessageLimit per pull.")
    subscription_lifetime: float = Field(600.0, gt=0,
                                         description="Requested pull point lifetime (InitialTerminationTime and Renew), seconds.")
    renew_before: float = Field(120.0, gt=0,
                                description="Renew this many seconds before the pull point would terminate.")
    request_timeout: float = Field(10.0, gt=0, le=120, description="Deadline of every request but long pulls, seconds.")
    pull_grace: float = Field(3.0, gt=0, le=120,
                              description="How long past its Timeout a pull's answer may take before the pull counts as "
                                          "lost and is sent again, seconds: a request lost on the way (a cut link, a "
                                          "camera that hung a moment) delays events by at most pull_timeout + pull_grace.")
    max_setups: int = Field(16, ge=1, le=1024,
                            description="Cameras set up (clock read, description) at once; the others wait their turn, "
                                        "said in their 'setup' fact and the setup_waiting gauge.")
    offline_after_failures: int = Field(3, ge=1, le=100,
                                        description="Consecutive failed checks before a camera is reported offline.")
    retry_initial: float = Field(1.0, gt=0, description="First wait before retrying a failed camera, seconds (doubles).")
    retry_max: float = Field(60.0, gt=0, description="Longest wait between retries of a failed camera, seconds.")
    health_interval: float = Field(60.0, gt=0,
                                   description="Health check period for cameras whose events are not pulled, seconds.")
    max_response_bytes: int = Field(DEFAULT_MAX_BYTES, ge=4096, le=16 * 1024 * 1024,
                                    description="Largest SOAP answer accepted from a camera, bytes.")
    unsubscribe_on_stop: bool = Field(
        False, description="Unsubscribe the pull point on shutdown. Off by default: some cameras cancel "
                           "every subscription (also other clients') on Unsubscribe; an unused pull point expires anyway.")

    @pydantic.model_validator(mode="after")
    def _timings_fit(self) -> OnvifOptions:
        if self.renew_before >= self.subscription_lifetime:
            raise ValueError(f"renew_before ({self.renew_before:g}s) must be less than subscription_lifetime "
                             f"({self.subscription_lifetime:g}s)")
        if self.pull_timeout >= self.subscription_lifetime - self.renew_before:
            raise ValueError(f"pull_timeout ({self.pull_timeout:g}s) must be shorter than subscription_lifetime - "
                             f"renew_before ({self.subscription_lifetime - self.renew_before:g}s), or pulls outlive the pull point")
        if self.retry_max < self.retry_initial:
            raise ValueError("retry_max must be at least retry_initial")
        return self


class CameraOptions(pydantic.BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(..., min_length=1, description="Camera address (IP or host name).")
    port: int = Field(80, ge=1, le=65535, description="HTTP port of the ONVIF device service.")
    path: str = Field("/onvif/device_service", description="Path of the device service.")
    username: str = Field("admin", description="ONVIF user (WS-UsernameToken).")
    password: pydantic.SecretStr | None = Field(None, description="Password (prefer password_env or password_file).")
    password_env: str | None = Field(None, description="Environment variable holding the password.")
    password_file: str | None = Field(None, description="File whose first line is the password.")
    events: bool = Field(True, description="Pull events (motion, tamper, video loss, inputs) from this camera.")
    ptz_profile: str | None = Field(None, description="Media profile used for PTZ GotoPreset (default: first profile).")

    @pydantic.field_validator("path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"path must start with '/', like /onvif/device_service (got {value!r})")
        return value

    @pydantic.field_validator("host")
    @classmethod
    def _bare_host(cls, value: str) -> str:
        if "://" in value or "/" in value:
            raise ValueError(f"host is an address like 192.168.1.64, not a URL (got {value!r}); use port/path for the rest")
        return value

    @pydantic.model_validator(mode="after")
    def _one_password_source(self) -> CameraOptions:
        given = [name for name in ("password", "password_env", "password_file") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of password, password_env, password_file (got {given or 'none'})")
        if self.password_env is not None and self.password_env not in os.environ:
            raise ValueError(f"environment variable {self.password_env!r} (password_env) is not set")
        return self

    @property
    def device_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    def resolve_password(self) -> str:
        """The password from whichever source is configured (read when the camera connects)."""
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_env is not None:
            return os.environ[self.password_env]
        with open(self.password_file, encoding="utf-8") as handle:  # type: ignore[arg-type]
            return handle.readline().rstrip("\r\n")
