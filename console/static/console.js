// campus-hub console: keyboard shortcuts, the live connection's status, and floor plans.
// Served as a file (the Content-Security-Policy allows no inline script); nothing here is needed
// to read a page, only to work it faster.
(function () {
  "use strict";

  function conn(lost) {
    var banner = document.getElementById("conn");
    if (banner) { banner.hidden = !lost; }
  }

  // --- the live connection (htmx's SSE extension) ----------------------------------------------
  document.addEventListener("htmx:sseOpen", function (event) {
    conn(false);
    var source = event.detail && event.detail.source;
    if (source && !source.campusHubReset) {
      source.campusHubReset = true;
      // The position asked for is no longer in the journal: the page starts over.
      source.addEventListener("reset", function () { window.location.reload(); });
    }
  });
  document.addEventListener("htmx:sseError", function () { conn(true); });
  document.addEventListener("htmx:sseClose", function () { conn(true); });

  // --- keyboard --------------------------------------------------------------------------------
  var selectedId = null;

  function hrefOf(row) { return "/alarm?id=" + encodeURIComponent(row.getAttribute("data-id")); }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.alarm")); }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); });
    if (row) {
      row.classList.add("selected");
      row.scrollIntoView({ block: "nearest" });
      selectedId = row.getAttribute("data-id");
    }
  }

  function selected() {
    return rows().filter(function (r) { return r.getAttribute("data-id") === selectedId; })[0] || null;
  }

  document.addEventListener("htmx:afterSwap", function () {
    // A live refresh keeps the operator's selection on the same alarm.
    var row = selected();
    if (row) { row.classList.add("selected"); }
  });

  // A queue row's acknowledge button: one delegated handler instead of an htmx form per row (a
  // 1,000-row queue loads several times faster without them).
  function acknowledge(row) {
    htmx.ajax("POST", "/alarm/acknowledge", {
      source: row, target: "#flash", swap: "innerHTML",
      values: { id: row.getAttribute("data-id"), revision: row.getAttribute("data-revision") },
      headers: JSON.parse(document.body.getAttribute("hx-headers") || "{}")
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("tr.alarm button.ack");
    if (button) { acknowledge(button.closest("tr.alarm")); return; }
    var row = event.target.closest && event.target.closest("tr.alarm");
    if (row && !event.target.closest("a, button, form, input, select")) {
      window.location.href = hrefOf(row);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var list = rows();
    var row = selected();
    var index = row ? list.indexOf(row) : -1;
    var button;
    switch (event.key) {
      case "j": select(list[Math.min(index + 1, list.length - 1)]); break;
      case "k": select(list[Math.max(index - 1, 0)]); break;
      case "Enter": if (row) { window.location.href = hrefOf(row); } else { return; } break;
      case "a":
        if (row && row.querySelector("button.ack")) { acknowledge(row); break; }
        button = document.getElementById("ack-button");
        if (button) { button.click(); } else { return; }
        break;
      case "c": button = document.getElementById("comment"); if (button) { button.focus(); } else { return; } break;
      case "s":
        button = document.querySelector("#shelve-form select");
        if (button) { button.focus(); } else { return; }
        break;
      case "1": case "2": case "3": case "4":
        button = document.querySelector('a.filter[data-key="' + event.key + '"]');
        if (button) { window.location.href = button.getAttribute("href"); } else { return; }
        break;
      default: return;
    }
    event.preventDefault();
  });

  // --- floor plans (leaflet image overlay) -------------------------------------------------------
  function floorPlan() {
    var element = document.getElementById("plan");
    var dataElement = document.getElementById("plan-data");
    if (!element || !dataElement || typeof L === "undefined") { return; }
    var data = JSON.parse(dataElement.textContent);
    var bounds = [[0, 0], [data.height, data.width]];
    var map = L.map(element, { crs: L.CRS.Simple, minZoom: -4, maxZoom: 3, attributionControl: false });
    L.imageOverlay(data.image, bounds).addTo(map);
    map.fitBounds(bounds);
    var markers = {};
    var alarming = {};

    function style(device) {
      var entry = markers[device];
      var flashing = Object.keys(alarming[device] || {}).length > 0;
      var path = entry.marker.getElement();
      if (!path) { return; }
      path.setAttribute("class", "leaflet-interactive marker state-" + entry.state + (flashing ? " flash" : ""));
    }

    data.markers.forEach(function (m) {
      var marker = L.circleMarker([data.height - m.y, m.x], { radius: 10, weight: 3 }).addTo(map);
      var label = document.createElement("span");
      label.textContent = m.name;  // (text, never HTML: device names are not trusted)
      marker.bindTooltip(label, { permanent: true, direction: "right", offset: [10, 0] });
      marker.on("click", function () { window.location.href = m.href; });
      markers[m.device] = { marker: marker, state: m.state };
      if (m.alarm) { alarming[m.device] = { initial: true }; }
      style(m.device);
    });

    var source = new EventSource(element.getAttribute("data-events"));
    source.addEventListener("open", function () { conn(false); });
    source.addEventListener("error", function () { conn(true); });
    source.addEventListener("reset", function () { window.location.reload(); });
    source.addEventListener("alarm", function (event) {
      var a = JSON.parse(event.data);
      if (!markers[a.device]) { return; }
      var set = alarming[a.device] || (alarming[a.device] = {});
      delete set.initial;
      if (a.active && /unacknowledged$/.test(a.state)) { set[a.id] = true; } else { delete set[a.id]; }
      style(a.device);
    });
    source.addEventListener("device", function (event) {
      var d = JSON.parse(event.data);
      if (!markers[d.device]) { return; }
      markers[d.device].state = d.state;
      style(d.device);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", floorPlan);
  } else {
    floorPlan();
  }
})();
