/* Jiebang page behaviour: small, progressive. Everything works without it except live hints. */
(function () {
  "use strict";
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector("[data-nav-toggle]");
    var nav = document.getElementById("site-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    var alert = document.querySelector("[data-autofocus]");
    if (alert) { alert.focus(); }
    // Confirmation for destructive or irreversible actions.
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
    // Auto-submit filter selects (the button stays for keyboard and no-JS users).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    // Add a capability item row in the profile editor.
    var add = document.querySelector("[data-add-item]");
    if (add) {
      add.addEventListener("click", function () {
        var tpl = document.getElementById("item-template");
        var list = document.getElementById("items");
        if (!tpl || !list) { return; }
        var node = tpl.content.cloneNode(true);
        list.appendChild(node);
        var inputs = list.querySelectorAll(".item-row:last-child input");
        if (inputs.length) { inputs[0].focus(); }
      });
    }
    document.addEventListener("click", function (e) {
      var t = e.target;
      if (t && t.matches && t.matches("[data-remove-item]")) {
        var row = t.closest(".item-row");
        if (row) { row.remove(); }
      }
    });
  });
  // htmx: send the CSRF token on every request (also set on <body hx-headers>).
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });
  // Charts: a container with data-chart holds its ECharts option as JSON.
  window.jiebangCharts = function () {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var opt = JSON.parse(el.getAttribute("data-chart"));
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(opt);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  };
})();
