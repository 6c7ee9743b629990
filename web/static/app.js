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
    // Filters fold behind their button on a phone (open by default for wide screens and no-JS).
    if (window.matchMedia && window.matchMedia("(max-width: 640px)").matches) {
      document.querySelectorAll("details[data-fold-narrow]").forEach(function (d) { d.open = false; });
    }
    // Tables that become cards on a phone: each cell carries its column's name.
    document.querySelectorAll("table.stack").forEach(function (t) {
      var heads = Array.prototype.map.call(t.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
      t.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (cell, i) {
          if (heads[i] && !cell.hasAttribute("colspan") && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", heads[i]); }
        });
      });
    });
    // A live count under each field with a length limit: "已输入 n / N 字".
    document.querySelectorAll("textarea[maxlength], input[maxlength]").forEach(function (el) {
      var max = parseInt(el.getAttribute("maxlength"), 10);
      if (!max) { return; }
      var out = document.createElement("p");
      out.className = "help counter";
      el.insertAdjacentElement("afterend", out);
      var update = function () {
        var n = el.value.length;
        out.textContent = "已输入 " + n + " / " + max + " 字" + (n >= max ? "（已达上限）" : "");
      };
      el.addEventListener("input", update);
      update();
    });
    // The deal form shows the fields of the chosen stage only.
    document.querySelectorAll("form[data-stage-form]").forEach(function (f) {
      var stage = f.querySelector("select[name=stage]");
      if (!stage) { return; }
      var show = function () {
        f.querySelectorAll("[data-for-stages]").forEach(function (el) {
          var stages = el.getAttribute("data-for-stages").split(" ");
          el.hidden = stages.indexOf(stage.value) < 0;
        });
      };
      stage.addEventListener("change", show);
      show();
    });
    // Keep what was typed in a form until the next page: when the session has run out, the
    // server answers the submit with the sign-in page, and after signing in the person comes back
    // here and the fields are put back. Only then: a submit answered by any other page (a success
    // that lands on the same address, a 422 re-render) drops what was kept.
    var KEEP = "jiebang-unsent-form";
    var kept = null;
    try { kept = JSON.parse(window.sessionStorage.getItem(KEEP) || "null"); } catch (e) { kept = null; }
    if (kept && location.pathname === "/login") {
      if (!kept.interrupted && Date.now() - kept.at < 60 * 1000) {
        // the submit was answered by the sign-in page: the session had run out
        kept.interrupted = true;
        try { window.sessionStorage.setItem(KEEP, JSON.stringify(kept)); } catch (e) { /* nothing kept */ }
      } else if (!kept.interrupted) {
        window.sessionStorage.removeItem(KEEP);  // left over from a submit that led nowhere (a download)
      }
    } else if (kept) {
      window.sessionStorage.removeItem(KEEP);
      if (kept.interrupted && kept.path === location.pathname && Date.now() - kept.at < 6 * 3600 * 1000) {
        var form = document.querySelector('form[action="' + kept.action + '"]');
        if (form) {
          Object.keys(kept.fields).forEach(function (name) {
            var el = form.elements.namedItem(name);
            if (el && el.type !== "hidden" && el.type !== "file" && el.type !== "checkbox" && !el.length) { el.value = kept.fields[name]; }
          });
          var note = document.createElement("div");
          note.className = "flash flash-info";
          note.setAttribute("role", "status");
          note.textContent = "已恢复您登录过期前填写的内容，请检查后重新提交。";
          form.insertAdjacentElement("beforebegin", note);
        }
      }
    }
    document.querySelectorAll("form[method=post]").forEach(function (f) {
      f.addEventListener("submit", function () {
        if (location.pathname === "/login") { return; }  // the sign-in form never replaces what was kept
        if (!f.querySelector("textarea, input[type=text], input:not([type])")) { return; }
        var fields = {};
        Array.prototype.forEach.call(f.elements, function (el) {
          if (el.name && el.name !== "csrf_token" && el.type !== "password" && el.type !== "file" && el.type !== "hidden") { fields[el.name] = el.value; }
        });
        try {
          window.sessionStorage.setItem(KEEP, JSON.stringify({path: location.pathname, action: f.getAttribute("action"), fields: fields, at: Date.now()}));
        } catch (e) { /* storage full or off: nothing kept */ }
      });
    });
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
