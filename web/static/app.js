// Live updates for the CRM Connection Detail page. The page works without
// this script; with it, the live sections (setup guide, status, import
// progress, last 24 hours, recent activity) are replaced with fresh HTML
// the server sends over Server-Sent Events, without a reload.
(function () {
  "use strict";
  function start() {
    var live = document.getElementById("live");
    if (!live || !window.EventSource) return;
    var source = new EventSource(live.getAttribute("data-events"));
    source.addEventListener("update", function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      Object.keys(msg.sections || {}).forEach(function (id) {
        var el = document.getElementById(id);
        if (!el) return;
        // Keep keyboard focus on the same control when its section is redrawn.
        var focused = document.activeElement && el.contains(document.activeElement) ? document.activeElement.id : "";
        el.outerHTML = msg.sections[id];
        if (focused) {
          var again = document.getElementById(focused);
          if (again) again.focus();
        }
      });
      document.documentElement.setAttribute("data-live-updates", String(Number(document.documentElement.getAttribute("data-live-updates") || 0) + 1));
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
