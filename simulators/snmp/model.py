"""The simulated devices' data (sans-IO): MIB rows, state changes, and the traps they imply.

Values are ``(syntax, value)`` pairs with syntax one of ``int``, ``octets``, ``oid``, ``ticks``,
``gauge``, ``counter``, ``counter64``, ``ip``; :mod:`.agent` turns them into pysnmp types. Every state change
returns the notifications a real device would send, as ``(trap_oid, varbinds)``.
"""
from __future__ import annotations

import bisect
import dataclasses


from adapters.snmp import oids
from adapters.snmp.oids import OID

Value = tuple[str, object]
Notification = tuple[OID, list[tuple[OID, Value]]]

OPER_UP, OPER_DOWN = 1, 2
OUTPUT_NORMAL, OUTPUT_BATTERY = 3, 5
BATTERY_NORMAL, BATTERY_LOW = 2, 3


def mac_bytes(mac: str) -> bytes:
    parts = mac.split(":")
    if len(parts) != 6:
        raise ValueError(f"MAC must look like 00:1a:2b:3c:4d:5e, got {mac!r}")
    return bytes(int(p, 16) for p in parts)


IF_TYPE_ETHERNET, IF_TYPE_VLAN = 6, 136  # IANAifType ethernetCsmacd, l3ipvlan
PORT_SPEED = 1_000_000_000  # bits/s: gigabit ports
# what a port's traffic counters grow by per second of uptime (a quiet access port)
COUNTER_RATES = {
    oids.IF_IN_OCTETS: 12_500, oids.IF_OUT_OCTETS: 25_000, oids.IF_IN_UCAST_PKTS: 20, oids.IF_OUT_UCAST_PKTS: 30,
    oids.IF_IN_ERRORS: 0, oids.IF_OUT_ERRORS: 0,
}
HC_COUNTERS = {oids.IF_HC_IN_OCTETS: oids.IF_IN_OCTETS, oids.IF_HC_OUT_OCTETS: oids.IF_OUT_OCTETS}


@dataclasses.dataclass
class Port:
    number: int  # the port as labelled; also the bridge port number
    if_index: int
    up: bool = True  # the link (a cable with a live peer)
    admin_up: bool = True  # ifAdminStatus: not shut by an administrator
    last_change: int = 0  # ticks

    @property
    def oper_up(self) -> bool:
        return self.up and self.admin_up


@dataclasses.dataclass
class UpsState:
    on_mains: bool = True
    battery_status: int = BATTERY_NORMAL
    charge_percent: int = 100
    minutes_remaining: int = 60
    on_battery_since: float | None = None
    alarms: dict[int, OID] = dataclasses.field(default_factory=dict)  # upsAlarmId -> descr
    next_alarm_id: int = 1


class SimDevice:
    """One simulated switch (ports, forwarding table) and/or UPS.

    ``up_for`` is its sysUpTime (seconds) when the simulator starts. ``address`` is the loopback IP
    it answers on and sends traps from; ``community`` selects it in
    v2c requests; ``engine_id`` is its SNMPv3 engine id (traps). Misbehaviour switches:
    ``silent`` (answers nothing), ``answer_limit`` (answers that many requests, then goes silent:
    a walk times out midway), ``error_after`` (answers genErr after that many requests).
    """

    def __init__(
        self, name: str, *, address: str = "127.0.0.1", community: str = "public", engine_id: bytes | None = None,
        ports: int = 0, if_index_base: int = 0, vlan: int = 1, ups: bool = False, now: float = 0.0,
        sys_descr: str = "", up_for: float = 86400.0,
    ) -> None:
        self.name = name
        self.address = address
        self.community = community
        self.engine_id = engine_id or b"\x80\x00\x4f\xb8\x05" + name.encode()[:27]
        self.vlan = vlan
        self.up_for = up_for  # uptime when the simulator starts: real gear has been up a while
        self.booted_at = now - up_for
        self.sys_descr = sys_descr or (f"campus-hub simulated {'UPS' if ups else 'switch'} {name}")
        self.ports = {n: Port(n, if_index_base + n) for n in range(1, ports + 1)}
        self.fdb: dict[str, int] = {}  # MAC -> port number
        self.ups = UpsState() if ups else None
        self.silent = False
        self.answer_limit: int | None = None
        self.error_after: int | None = None
        self.requests = 0
        self._rows: dict[OID, Value] = {}
        self._keys: list[OID] = []
        self._dirty = True

    # --- reading ---------------------------------------------------------------------------
    def uptime(self, now: float) -> int:
        return max(0, int((now - self.booted_at) * 100)) % 2**32

    def _build(self) -> None:
        rows: dict[OID, Value] = {
            oids.SYS_DESCR: ("octets", self.sys_descr.encode()),
            oids.SYS_OBJECT_ID: ("oid", (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)),
            oids.SYS_UPTIME: ("ticks", 0),  # computed at read time
            oids.SYS_CONTACT: ("octets", b"campus-hub"),
            oids.SYS_NAME: ("octets", self.name.encode()),
            oids.SYS_LOCATION: ("octets", b"simulator"),
        }
        for port in self.ports.values():
            self._interface_rows(rows, port.if_index, IF_TYPE_ETHERNET, f"GigabitEthernet0/{port.number}",
                                 f"Gi0/{port.number}", admin_up=port.admin_up, oper_up=port.oper_up,
                                 last_change=port.last_change, mac=self.port_mac(port.number))
            rows[oids.DOT1D_BASE_PORT_IFINDEX + (port.number,)] = ("int", port.if_index)
        if self.ports:
            # like real switches, the management VLAN's interface is listed among the ports
            self._interface_rows(rows, self.vlan_if_index, IF_TYPE_VLAN, f"Vlan{self.vlan}", f"Vlan{self.vlan}",
                                 admin_up=True, oper_up=True, last_change=0, mac=mac_bytes(self.own_mac))
            rows[oids.IF_NUMBER] = ("int", len(self.ports) + 1)
            own = mac_bytes(self.own_mac)
            for mac, status, port in [(own, 4, 0)] + [(mac_bytes(m), 3, p) for m, p in self.fdb.items()]:
                index = tuple(mac)
                rows[oids.DOT1D_TP_FDB_ADDRESS + index] = ("octets", mac)
                rows[oids.DOT1D_TP_FDB_PORT + index] = ("int", port)
                rows[oids.DOT1D_TP_FDB_STATUS + index] = ("int", status)
                rows[oids.DOT1Q_TP_FDB_PORT + (self.vlan,) + index] = ("int", port)
                rows[oids.DOT1Q_TP_FDB_STATUS + (self.vlan,) + index] = ("int", status)
        if self.ups is not None:
            ups = self.ups
            rows[oids.UPS_IDENT_MANUFACTURER] = ("octets", b"campus-hub")
            rows[oids.UPS_IDENT_MODEL] = ("octets", b"SIM-UPS 3000")
            rows[oids.UPS_IDENT_UPS_SOFTWARE_VERSION] = ("octets", b"1.0")
            rows[oids.UPS_IDENT_AGENT_SOFTWARE_VERSION] = ("octets", b"campus-hub simulator")
            rows[oids.UPS_IDENT_NAME] = ("octets", self.name.encode())
            rows[oids.UPS_IDENT_ATTACHED_DEVICES] = ("octets", b"network rack")
            rows[oids.UPS_BATTERY_STATUS] = ("int", ups.battery_status)
            rows[oids.UPS_SECONDS_ON_BATTERY] = ("int", 0)  # computed at read time
            rows[oids.UPS_MINUTES_REMAINING] = ("int", ups.minutes_remaining)
            rows[oids.UPS_CHARGE_REMAINING] = ("int", ups.charge_percent)
            rows[oids.UPS_OUTPUT_SOURCE] = ("int", OUTPUT_NORMAL if ups.on_mains else OUTPUT_BATTERY)
            rows[oids.UPS_ALARMS_PRESENT] = ("gauge", len(ups.alarms))
            for alarm_id, descr in ups.alarms.items():
                rows[oids.UPS_ALARM_ID + (alarm_id,)] = ("int", alarm_id)
                rows[oids.UPS_ALARM_DESCR + (alarm_id,)] = ("oid", descr)
        self._rows = rows
        self._keys = sorted(rows)
        self._dirty = False

    @staticmethod
    def _interface_rows(rows: dict[OID, Value], if_index: int, if_type: int, descr: str, name: str, *,
                        admin_up: bool, oper_up: bool, last_change: int, mac: bytes) -> None:
        i = (if_index,)
        rows[oids.IF_INDEX + i] = ("int", if_index)
        rows[oids.IF_DESCR + i] = ("octets", descr.encode())
        rows[oids.IF_TYPE + i] = ("int", if_type)
        rows[oids.IF_MTU + i] = ("int", 1500)
        rows[oids.IF_SPEED + i] = ("gauge", PORT_SPEED)
        rows[oids.IF_PHYS_ADDRESS + i] = ("octets", mac)
        rows[oids.IF_ADMIN_STATUS + i] = ("int", 1 if admin_up else 2)
        rows[oids.IF_OPER_STATUS + i] = ("int", OPER_UP if oper_up else OPER_DOWN)
        rows[oids.IF_LAST_CHANGE + i] = ("ticks", last_change)
        for column in (*COUNTER_RATES, *HC_COUNTERS):
            rows[column + i] = ("counter64" if column in HC_COUNTERS else "counter", 0)  # computed at read time
        rows[oids.IF_NAME + i] = ("octets", name.encode())
        rows[oids.IF_HIGH_SPEED + i] = ("gauge", PORT_SPEED // 1_000_000)
        rows[oids.IF_ALIAS + i] = ("octets", b"")

    @property
    def vlan_if_index(self) -> int:
        return max(p.if_index for p in self.ports.values()) + 1

    def port_mac(self, number: int) -> bytes:
        return mac_bytes(self.own_mac)[:5] + bytes([number & 0xFF])

    def rows(self) -> list[OID]:
        """Every OID the device answers, in order."""
        if self._dirty:
            self._build()
        return list(self._keys)

    @property
    def own_mac(self) -> str:
        digest = sum(self.name.encode()) & 0xFFFF
        return f"02:00:00:00:{digest >> 8:02x}:{digest & 0xFF:02x}"

    def _value(self, oid: OID, now: float) -> Value:
        if oid == oids.SYS_UPTIME:
            return ("ticks", self.uptime(now))
        column = oid[:-1]
        if column in COUNTER_RATES or column in HC_COUNTERS:
            rate = COUNTER_RATES[HC_COUNTERS.get(column, column)]
            return (self._rows[oid][0], int(rate * self.uptime(now) / 100) % (2**64 if column in HC_COUNTERS else 2**32))
        if oid == oids.UPS_SECONDS_ON_BATTERY and self.ups is not None:
            since = self.ups.on_battery_since
            return ("int", 0 if since is None else int(now - since))
        return self._rows[oid]

    def get(self, oid: OID, now: float) -> Value | None:
        if self._dirty:
            self._build()
        return self._value(oid, now) if oid in self._rows else None

    def get_next(self, oid: OID, now: float) -> tuple[OID, Value] | None:
        if self._dirty:
            self._build()
        i = bisect.bisect_right(self._keys, oid)
        if i == len(self._keys):
            return None
        following = self._keys[i]
        return following, self._value(following, now)

    # --- changes (each returns the notifications to send) --------------------------------------
    def _changed(self) -> None:
        self._dirty = True

    def _link_notification(self, port: Port) -> Notification:
        i = (port.if_index,)
        trap_oid = oids.LINK_UP if port.oper_up else oids.LINK_DOWN
        return trap_oid, [
            (oids.IF_INDEX + i, ("int", port.if_index)),
            (oids.IF_ADMIN_STATUS + i, ("int", 1 if port.admin_up else 2)),
            (oids.IF_OPER_STATUS + i, ("int", OPER_UP if port.oper_up else OPER_DOWN)),
            (oids.IF_NAME + i, ("octets", f"Gi0/{port.number}".encode())),
        ]

    def port(self, number: int) -> Port:
        try:
            return self.ports[number]
        except KeyError:
            raise ValueError(f"{self.name} has no port {number} (ports 1..{len(self.ports)})") from None

    def set_port(self, number: int, up: bool, now: float) -> list[Notification]:
        """The link of a port comes up or goes down (a cable, the device at its other end)."""
        port = self.port(number)
        if port.up == up:
            return []
        return self._port_changed(port, now, lambda: setattr(port, "up", up))

    def set_port_admin(self, number: int, up: bool, now: float) -> list[Notification]:
        """An administrator enables (``no shutdown``) or shuts a port."""
        port = self.port(number)
        if port.admin_up == up:
            return []
        return self._port_changed(port, now, lambda: setattr(port, "admin_up", up))

    def _port_changed(self, port: Port, now: float, change) -> list[Notification]:
        was_up = port.oper_up
        change()
        self._changed()
        if port.oper_up == was_up:
            return []
        port.last_change = self.uptime(now)
        if not port.oper_up:  # the switch forgets what it learned on a dead port
            self.fdb = {m: p for m, p in self.fdb.items() if p != port.number}
        return [self._link_notification(port)]

    def learn(self, mac: str, port: int) -> list[Notification]:
        self.port(port)
        mac_bytes(mac)
        self.fdb[mac.lower()] = port
        self._changed()
        return []  # learning a MAC sends no standard trap; the adapter finds it by polling

    def forget(self, mac: str) -> list[Notification]:
        self.fdb.pop(mac.lower(), None)
        self._changed()
        return []

    def reboot(self, now: float) -> list[Notification]:
        self.booted_at = now
        for port in self.ports.values():
            port.last_change = 0
        self._changed()
        return [(oids.COLD_START, [])]

    def _ups_state(self) -> UpsState:
        if self.ups is None:
            raise ValueError(f"{self.name} is not a UPS")
        return self.ups

    def _alarm(self, name_index: int, present: bool) -> list[Notification]:
        ups = self._ups_state()
        descr = oids.UPS_WELL_KNOWN_ALARMS + (name_index,)
        current = next((i for i, d in ups.alarms.items() if d == descr), None)
        if present == (current is not None):
            return []
        if present:
            alarm_id = ups.next_alarm_id
            ups.next_alarm_id += 1
            ups.alarms[alarm_id] = descr
            trap = oids.UPS_TRAP_ALARM_ENTRY_ADDED
        else:
            alarm_id = current
            del ups.alarms[alarm_id]
            trap = oids.UPS_TRAP_ALARM_ENTRY_REMOVED
        return [(trap, [(oids.UPS_ALARM_ID + (alarm_id,), ("int", alarm_id)),
                        (oids.UPS_ALARM_DESCR + (alarm_id,), ("oid", descr))])]

    def set_mains(self, on: bool, now: float) -> list[Notification]:
        ups = self._ups_state()
        if ups.on_mains == on:
            return []
        ups.on_mains = on
        ups.on_battery_since = None if on else now
        self._changed()
        notifications = []
        if not on:
            notifications.append((oids.UPS_TRAP_ON_BATTERY, [
                (oids.UPS_MINUTES_REMAINING, ("int", ups.minutes_remaining)),
                (oids.UPS_SECONDS_ON_BATTERY, ("int", 0)),
            ]))
        return notifications + self._alarm(2, not on)  # upsAlarmOnBattery

    def set_battery_low(self, low: bool) -> list[Notification]:
        ups = self._ups_state()
        ups.battery_status = BATTERY_LOW if low else BATTERY_NORMAL
        ups.minutes_remaining = 3 if low else 60
        ups.charge_percent = 15 if low else 100
        self._changed()
        return self._alarm(3, low)  # upsAlarmLowBattery

    def counts_request(self) -> str:
        """Account for one request: ``"answer"``, ``"drop"`` (timeout) or ``"error"`` (genErr)."""
        self.requests += 1
        if self.silent or (self.answer_limit is not None and self.requests > self.answer_limit):
            return "drop"
        if self.error_after is not None and self.requests > self.error_after:
            return "error"
        return "answer"


def describe(notification: Notification) -> str:
    trap_oid, varbinds = notification
    names = {oids.LINK_DOWN: "linkDown", oids.LINK_UP: "linkUp", oids.COLD_START: "coldStart",
             oids.UPS_TRAP_ON_BATTERY: "upsTrapOnBattery", oids.UPS_TRAP_ALARM_ENTRY_ADDED: "upsTrapAlarmEntryAdded",
             oids.UPS_TRAP_ALARM_ENTRY_REMOVED: "upsTrapAlarmEntryRemoved"}
    return names.get(trap_oid, oids.format_oid(trap_oid))


