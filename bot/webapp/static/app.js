/* The transparency Mini App: four tabs over the bot's JSON API (bot/webapp/api.py).
 *
 * Every request carries Telegram's initData ("Authorization: tma <initData>"); the server checks
 * it. Inside Telegram it comes from telegram-web-app.js; without that script (a browser, the
 * tests) from the URL fragment, where Telegram itself passes it as "#tgWebAppData=…". Every
 * word shown comes from the server in the user's language: the page's own words from
 * /api/me, the rest with the data. Text only ever goes into textContent, never HTML.
 */
(function () {
  "use strict";

  var tg = window.Telegram && window.Telegram.WebApp;
  var launch = new URLSearchParams(window.location.hash.slice(1));
  var initData = (tg && tg.initData) || launch.get("tgWebAppData") || "";
  var words = {};
  var view = document.getElementById("view");
  var current = null;

  /* Telegram's theme colours: telegram-web-app.js sets the --tg-theme-* variables itself;
     without it, take the theme Telegram passes in the fragment. */
  function applyTheme() {
    if (tg && tg.themeParams && Object.keys(tg.themeParams).length) return;
    var raw = launch.get("tgWebAppThemeParams");
    if (!raw) return;
    try {
      var theme = JSON.parse(raw);
      Object.keys(theme).forEach(function (key) {
        if (/^[a-z_]+$/.test(key) && /^#[0-9a-fA-F]{3,8}$/.test(theme[key])) {
          document.documentElement.style.setProperty(
            "--tg-theme-" + key.replace(/_/g, "-"), theme[key]);
        }
      });
    } catch (ignored) { /* a theme we cannot read: the fallbacks stay */ }
  }

  function el(tag, props) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "text") node.textContent = props[key];
      else if (key === "on") Object.keys(props.on).forEach(function (e) {
        node.addEventListener(e, props.on[e]);
      });
      else node.setAttribute(key, props[key]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === "") continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function bar(percent) {
    var fill = el("span");
    fill.style.width = Math.max(0, Math.min(100, percent)) + "%";
    return el("div", { "class": "bar", role: "img", "aria-label": percent + "%" }, fill);
  }

  function api(path, params) {
    var query = params ? "?" + new URLSearchParams(params).toString() : "";
    return fetch("api/" + path + query, {
      headers: { Authorization: "tma " + initData }, cache: "no-store"
    }).then(function (answer) {
      return answer.json().catch(function () { return {}; }).then(function (body) {
        if (!answer.ok) throw { status: answer.status, body: body };
        return body;
      });
    });
  }

  function show() {
    view.replaceChildren.apply(view, Array.prototype.slice.call(arguments));
  }

  function failed(problem) {
    var message = (problem && problem.body && problem.body.message) || words.failed || "…";
    show(el("p", { "class": "error", id: "error" }, message));
  }

  function loading() { show(el("p", { "class": "muted" }, words.loading || "…")); }

  /* --- the register ------------------------------------------------------------------------ */

  var register = { q: "", body: "", year: "", page: 0 };

  function registerFilters(data) {
    var search = el("input", { type: "search", id: "search", value: register.q,
                               placeholder: words.search, "aria-label": words.search });
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { register.q = search.value; register.page = 0; loadRegister(); }, 350);
    });
    var body = el("select", { id: "body", "aria-label": words.all_bodies },
                  el("option", { value: "", text: words.all_bodies }));
    data.bodies.forEach(function (b) { body.appendChild(el("option", { value: b.value, text: b.name })); });
    body.value = register.body;
    var year = el("select", { id: "year", "aria-label": words.all_years },
                  el("option", { value: "", text: words.all_years }));
    data.years.forEach(function (y) { year.appendChild(el("option", { value: String(y), text: String(y) })); });
    year.value = register.year;
    [body, year].forEach(function (select) {
      select.addEventListener("change", function () {
        register.body = body.value; register.year = year.value; register.page = 0; loadRegister();
      });
    });
    return el("div", { "class": "filters" }, search, body, year);
  }

  function resolutionCard(item) {
    var card = el("article", { "class": "card resolution" },
      el("h3", { text: item.label }),
      el("p", { "class": "muted" }, item.body_name + " · " + item.adopted_on),
      el("p", { text: item.text }),
      el("p", { "class": "muted counts-line" }, item.counts));
    item.decision.forEach(function (line) { card.appendChild(el("p", { "class": "muted" }, line)); });
    if (item.minutes) { card.appendChild(el("p", { "class": "muted minutes" }, item.minutes)); }
    card.appendChild(el("button", { "class": "link", type: "button", text: words.to_ballot,
      on: { click: function () { openBallot(item.ballot_id); } } }));
    return card;
  }

  function loadRegister() {
    var keepFocus = document.activeElement && document.activeElement.id;
    return api("register", register).then(function (data) {
      var list = data.items.map(resolutionCard);
      var pager = null;
      if (data.pages > 1) {
        pager = el("div", { "class": "pager" },
          el("button", { type: "button", text: words.previous, on: { click: function () { register.page--; loadRegister(); } } }),
          el("span", { "class": "muted" }, (data.page + 1) + " / " + data.pages),
          el("button", { type: "button", text: words.next, on: { click: function () { register.page++; loadRegister(); } } }));
        pager.firstChild.disabled = data.page === 0;
        pager.lastChild.disabled = data.page + 1 >= data.pages;
      }
      show.apply(null, [registerFilters(data), el("p", { "class": "muted", id: "summary" }, data.summary)]
        .concat(list, pager ? [pager] : []));
      if (keepFocus) {
        var again = document.getElementById(keepFocus);
        if (again) { again.focus(); if (again.setSelectionRange) again.setSelectionRange(again.value.length, again.value.length); }
      }
    });
  }

  /* --- ballots ----------------------------------------------------------------------------- */

  function ballotCard(b) {
    var card = el("article", { "class": "card ballot " + (b.open ? "open" : "closed"), id: "ballot-" + b.id },
      el("h3", { text: "#" + b.id + " " + b.question }),
      el("p", { "class": "muted" }, b.body_name),
      el("p", { "class": "state " + (b.open ? "open" : "closed") }, b.state),
      el("p", { "class": "turnout" }, b.turnout_text),
      bar(b.turnout_percent));
    if (b.secret_note) card.appendChild(el("p", { "class": "muted" }, b.secret_note));
    if (b.counts.length) {
      var counts = el("ul", { "class": "counts" });
      b.counts.forEach(function (c) {
        counts.appendChild(el("li", { "class": c.winner ? "winner" : "" },
          el("span", { text: c.label }), el("span", { text: c.votes + " (" + c.percent + ")" }),
          bar(parseInt(c.percent, 10) || 0)));
      });
      card.appendChild(counts);
    }
    if (b.resolution) card.appendChild(el("p", { "class": "muted" }, b.resolution));
    if (b.own) card.appendChild(el("p", { "class": "own" }, b.own));
    return card;
  }

  function loadBallots() {
    return api("ballots").then(function (data) {
      var parts = [el("h2", { text: words.open_ballots })];
      parts = parts.concat(data.open.length ? data.open.map(ballotCard)
                                            : [el("p", { "class": "muted" }, words.no_open)]);
      parts.push(el("h2", { text: words.closed_ballots }));
      parts = parts.concat(data.closed.length ? data.closed.map(ballotCard)
                                              : [el("p", { "class": "muted" }, words.no_closed)]);
      show.apply(null, parts);
    });
  }

  function openBallot(id) {
    loading();
    api("ballots/" + id).then(function (b) {
      show(el("button", { "class": "back", type: "button", text: words.back,
                          on: { click: function () { select("register"); } } }),
           ballotCard(b));
    }).catch(failed);
  }

  /* --- the work plan and the next meeting -------------------------------------------------- */

  function taskCard(task) {
    var mark = task.late ? "late" : (task.status === "done" ? "done" : "");
    return el("article", { "class": "card task" },
      el("h3", { text: task.title }),
      el("p", { "class": "muted" }, task.responsible + " · " + task.deadline),
      el("p", null, el("span", { "class": "status " + mark }, task.status_name),
                    " " + task.progress + "%"),
      bar(task.progress));
  }

  function chart(groups) {
    var grid = el("div", { "class": "chart", id: "chart" });
    groups.forEach(function (g) {
      grid.appendChild(el("span", { "class": "name" }, g.name));
      grid.appendChild(bar(g.average));
      grid.appendChild(el("span", { "class": "value" }, g.average + "%"));
      grid.appendChild(el("span", { "class": "detail muted" }, g.detail));
    });
    return grid;
  }

  function loadWorkplan() {
    return api("workplan").then(function (data) {
      if (!data.plan) { show(el("p", { "class": "muted", id: "empty" }, data.empty)); return; }
      show.apply(null, [
        el("h2", { text: data.plan }), el("p", null, data.overall), bar(data.average),
        el("h2", { text: words.by_responsible }), chart(data.groups),
        el("h2", { text: words.tasks })
      ].concat(data.tasks.map(taskCard)));
    });
  }

  function loadMeeting() {
    return api("meeting").then(function (data) {
      var m = data.meeting;
      if (!m) { show(el("p", { "class": "muted", id: "empty" }, data.empty)); return; }
      /* bot/views/transparency.meeting: title, when, place (and link), agenda titles. */
      var agenda = el("ol", { "class": "agenda" });
      (m.agenda || []).forEach(function (item) { agenda.appendChild(el("li", { text: item })); });
      show(el("article", { "class": "card meeting" }, el("h3", { text: m.title }),
        el("p", null, m.when), el("p", { "class": "muted" }, m.place || ""), agenda));
    });
  }

  /* --- tabs -------------------------------------------------------------------------------- */

  var TABS = [["register", loadRegister], ["ballots", loadBallots],
              ["workplan", loadWorkplan], ["meeting", loadMeeting]];

  function select(name) {
    current = name;
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.setAttribute("aria-selected", String(b.dataset.tab === name));
    });
    loading();
    var load = TABS.filter(function (t) { return t[0] === name; })[0][1];
    load().catch(failed);
  }

  function start(me) {
    words = me.strings;
    document.documentElement.lang = me.language;
    document.title = words.title;
    document.getElementById("title").textContent = words.title;
    document.getElementById("who").textContent = [me.name].concat(me.roles).filter(Boolean).join(" · ");
    var tabs = document.getElementById("tabs");
    TABS.forEach(function (t) {
      tabs.appendChild(el("button", { type: "button", role: "tab", id: "tab-" + t[0],
        "data-tab": t[0], text: words[t[0]], on: { click: function () { select(t[0]); } } }));
    });
    tabs.hidden = false;
    select("register");
  }

  applyTheme();
  if (tg) { tg.ready(); tg.expand(); }
  api("me").then(start).catch(failed);
})();
