/* Advisor view: every JSON call carries the advisor token (Authorization: Bearer). Text only. */
(function () {
  "use strict";

  var KEY = "assistant-advisor-token";
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function when(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    return isNaN(date) ? iso : date.toLocaleString("fr-BE", { dateStyle: "short", timeStyle: "short" });
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function token() {
    return sessionStorage.getItem(KEY) || "";
  }

  function call(path, method, body) {
    var headers = { Authorization: "Bearer " + token() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method || "GET", headers: headers, body: body === undefined ? undefined : JSON.stringify(body) }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        return response.json().then(function (body) {
          if (response.status === 401) sessionStorage.removeItem(KEY);
          showLogin(body.message);
          throw new Error(body.message);
        });
      }
      if (!response.ok) {
        return response.json().then(function (body) { throw new Error(body.message || "Erreur " + response.status); },
          function () { throw new Error("Erreur " + response.status); });
      }
      return response.status === 204 ? null : response.json();
    });
  }

  function showLogin(message) {
    $("app").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("token").focus();
  }

  function showApp() {
    $("login").hidden = true;
    $("app").hidden = false;
    loadConversations();
    loadDocuments();
    loadFreshness();
  }

  /* --- tabs ---------------------------------------------------------------------------------- */
  var tabs = ["conversations", "search", "documents"];
  tabs.forEach(function (name) {
    $("tab-" + name).addEventListener("click", function () {
      tabs.forEach(function (other) {
        $("tab-" + other).setAttribute("aria-selected", other === name ? "true" : "false");
        $(other).hidden = other !== name;
      });
    });
  });

  /* --- conversations ------------------------------------------------------------------------- */
  function renderExchange(message, feedback) {
    var box = el("div", "exchange");
    box.appendChild(el("p", "q", "Q : " + message.question));
    box.appendChild(el("p", null, "R : " + message.answer));
    var facts = el("ul");
    (message.calculations || []).forEach(function (c) {
      facts.appendChild(el("li", null, "Calcul " + (c.label || c.name) + " : " + (c.formula || c.result) + (c.valid_from ? " (barème du " + c.valid_from + ")" : "")));
    });
    (message.citations || []).forEach(function (c, i) {
      facts.appendChild(el("li", null, "[" + (c.marker || i + 1) + "] " + c.doc_id + (c.section ? " — " + c.section : "") + (c.page ? ", p. " + c.page : "") + " (score " + Number(c.score || 0).toFixed(3) + ")"));
    });
    var info = [when(message.created_at), message.backend, message.latency_ms ? Math.round(message.latency_ms) + " ms" : null,
      message.refused ? "refus" : null, message.fallback ? "repli" : null].filter(Boolean).join(" · ");
    facts.appendChild(el("li", null, info));
    (message.guard || []).forEach(function (g) { facts.appendChild(el("li", null, "Garde-fou : " + g)); });
    feedback.filter(function (f) { return f.message_id === message.id; }).forEach(function (f) {
      var item = el("li");
      item.appendChild(el("span", "badge " + f.rating, f.rating === "down" ? "avis négatif" : "avis positif"));
      if (f.comment) item.appendChild(document.createTextNode(f.comment));
      facts.appendChild(item);
    });
    box.appendChild(facts);
    return box;
  }

  /* A user may ask an advisor to erase their conversation (GDPR): messages and feedback go with it. */
  function eraseButton(conv, box) {
    var button = el("button", "btn btn-danger", "Effacer cette conversation");
    button.type = "button";
    button.setAttribute("aria-label", "Effacer la conversation " + conv.conversation_id);
    button.addEventListener("click", function () {
      if (!window.confirm("Effacer définitivement la conversation " + conv.conversation_id + " (questions, réponses et avis) ?")) return;
      button.disabled = true;
      call("/api/advisor/conversations/" + encodeURIComponent(conv.conversation_id), "DELETE").then(function () {
        box.parentNode.removeChild(box);
        $("conv-status").textContent = "Conversation " + conv.conversation_id + " effacée.";
        $("conv-status").focus();
      }).catch(function (error) {
        button.disabled = false;
        $("conv-status").textContent = "Conversation non effacée : " + error.message;
      });
    });
    return button;
  }

  function loadConversations() {
    var thumbs = $("thumbs").value;
    $("conv-status").textContent = "Chargement…";
    call("/api/advisor/conversations?limit=100" + (thumbs ? "&thumbs=" + encodeURIComponent(thumbs) : "")).then(function (conversations) {
      var list = $("conv-list");
      clear(list);
      $("conv-status").textContent = conversations.length + " conversation(s).";
      conversations.forEach(function (conv) {
        var box = el("article", "conv");
        var title = el("h3", null, when(conv.updated_at) + " — " + conv.conversation_id);
        conv.feedback.forEach(function (f) {
          title.appendChild(document.createTextNode(" "));
          title.appendChild(el("span", "badge " + f.rating, f.rating === "down" ? "négatif" : "positif"));
        });
        box.appendChild(title);
        box.appendChild(eraseButton(conv, box));
        conv.messages.forEach(function (m) { box.appendChild(renderExchange(m, conv.feedback)); });
        list.appendChild(box);
      });
    }).catch(function (error) { $("conv-status").textContent = error.message; });
  }

  $("conv-form").addEventListener("submit", function (event) {
    event.preventDefault();
    loadConversations();
  });
  $("thumbs").addEventListener("change", loadConversations);

  /* --- search -------------------------------------------------------------------------------- */
  $("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = $("q").value.trim();
    if (!q) return;
    $("search-status").textContent = "Recherche…";
    var path = "/api/advisor/search?q=" + encodeURIComponent(q) + "&mode=" + encodeURIComponent($("mode").value) + "&k=" + encodeURIComponent($("k").value || "10");
    call(path).then(function (passages) {
      var body = $("search-results");
      clear(body);
      passages.forEach(function (p, i) {
        var row = el("tr");
        row.appendChild(el("td", "num", i + 1));
        row.appendChild(el("td", "num", Number(p.score).toFixed(4)));
        row.appendChild(el("td", null, (p.retrievers || []).join(" + ")));
        var doc = el("td");
        var link = el("a", null, p.doc_id);
        link.href = "/documents/" + encodeURIComponent(p.doc_id) + "#" + encodeURIComponent(p.chunk_id);
        doc.appendChild(link);
        doc.appendChild(el("div", "note", [p.section, p.page ? "p. " + p.page : null].filter(Boolean).join(" · ")));
        row.appendChild(doc);
        row.appendChild(el("td", null, p.text.length > 400 ? p.text.slice(0, 400) + "…" : p.text));
        body.appendChild(row);
      });
      $("search-table").hidden = !passages.length;
      $("search-status").textContent = passages.length + " passage(s).";
    }).catch(function (error) { $("search-status").textContent = error.message; });
  });

  /* --- documents ----------------------------------------------------------------------------- */
  function loadDocuments() {
    fetch("/api/documents").then(function (r) { return r.json(); }).then(function (docs) {
      var list = $("doc-list");
      clear(list);
      docs.forEach(function (d) {
        var item = el("li");
        var button = el("button", null, d.title);
        button.type = "button";
        button.addEventListener("click", function () { showDocument(d.doc_id); });
        item.appendChild(button);
        item.appendChild(el("span", "note", " — " + d.doc_id + (d.passages !== null && d.passages !== undefined ? " · " + d.passages + " passages" : "") + (d.updated ? " · " + d.updated : "")));
        var replace = el("button", "btn", "Remplacer");
        replace.type = "button";
        replace.setAttribute("aria-label", "Remplacer " + d.title);
        replace.addEventListener("click", function () { startReplace(d); });
        var remove = el("button", "btn btn-danger", "Retirer");
        remove.type = "button";
        remove.setAttribute("aria-label", "Retirer " + d.title);
        remove.addEventListener("click", function () { removeDocument(d); });
        item.appendChild(replace);
        item.appendChild(remove);
        list.appendChild(item);
      });
    });
  }

  /* --- adding, replacing, removing a document ------------------------------------------------ */
  var FIELDS = ["title", "publisher", "updated", "url", "region", "scheme", "contact"];

  function startReplace(d) {
    $("doc-replace").value = d.doc_id;
    $("doc-form-title").textContent = "Remplacer « " + d.title + " »";
    $("doc-submit").textContent = "Remplacer";
    $("doc-cancel").hidden = false;
    FIELDS.forEach(function (name) { $("doc-" + name).value = d[name] || ""; });
    $("doc-synonyms").value = (d.synonyms || []).join(", ");
    $("doc-id").value = d.doc_id;
    $("doc-id").disabled = true;
    $("doc-title").focus();
  }

  function resetForm() {
    $("doc-form").reset();
    $("doc-replace").value = "";
    $("doc-form-title").textContent = "Ajouter un document";
    $("doc-submit").textContent = "Ajouter";
    $("doc-cancel").hidden = true;
    $("doc-id").disabled = false;
  }

  function readFile(file) {
    return new Promise(function (resolve, reject) {
      if (!file) { resolve(null); return; }
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(",")[1] || ""); };
      reader.onerror = function () { reject(new Error("Le fichier n'a pas pu être lu.")); };
      reader.readAsDataURL(file);
    });
  }

  function follow(job) {
    var bar = $("doc-progress");
    bar.hidden = false;
    var label = { "ajout": "Ajout", "remplacement": "Remplacement", "suppression": "Retrait" }[job.action] || job.action;
    $("doc-job").textContent = label + " de « " + job.doc_id + " » : " + job.state +
      (job.total ? " (" + job.done + " / " + job.total + " passages)" : "") + (job.message ? ". " + job.message : "");
    bar.max = job.total || 1;
    bar.value = job.state === "terminé" ? bar.max : job.done;
    if (job.state === "en attente" || job.state === "en cours") {
      setTimeout(function () { call("/api/advisor/jobs/" + job.id).then(follow, showError); }, 500);
      return;
    }
    loadDocuments();
    loadFreshness();
    if (job.state === "terminé" && job.action !== "suppression") showDocument(job.doc_id);
  }

  function showError(error) { $("doc-error").textContent = error.message; }

  $("doc-form").addEventListener("submit", function (event) {
    event.preventDefault();
    $("doc-error").textContent = "";
    var replacing = $("doc-replace").value;
    var file = $("doc-file").files[0];
    if (!file && !replacing) { showError(new Error("Choisissez le fichier du document.")); return; }
    readFile(file).then(function (content) {
      var body = {};
      FIELDS.forEach(function (name) { var v = $("doc-" + name).value.trim(); if (v) body[name] = v; });
      body.synonyms = $("doc-synonyms").value.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
      if (content !== null) { body.filename = file.name; body.content_base64 = content; }
      if (!replacing && $("doc-id").value.trim()) body.id = $("doc-id").value.trim();
      return replacing ? call("/api/advisor/documents/" + encodeURIComponent(replacing), "PUT", body)
                       : call("/api/advisor/documents", "POST", body);
    }).then(function (job) {
      $("doc-job").textContent = "Fichier vérifié : " + job.passages + " passage(s). Indexation…";
      resetForm();
      follow(job);
    }, showError);
  });
  $("doc-cancel").addEventListener("click", resetForm);

  function removeDocument(d) {
    if (!window.confirm("Retirer « " + d.title + " » du corpus et de l'index ?")) return;
    $("doc-error").textContent = "";
    call("/api/advisor/documents/" + encodeURIComponent(d.doc_id), "DELETE").then(follow, showError);
  }

  /* Rates and documents older than ASSISTANT_STALE_AFTER_MONTHS (or undated) come first. */
  function loadFreshness() {
    call("/api/advisor/freshness").then(function (data) {
      var rows = $("fresh-rows");
      clear(rows);
      var stale = data.items.filter(function (item) { return item.stale; }).length;
      $("fresh-status").textContent = stale + " élément(s) à vérifier : datés de plus de " + data.stale_after_months +
        " mois ou non datés (au " + data.today + "). Un montant à jour s'ajoute dans rates.yaml avec sa nouvelle date (README, « Mettre à jour un montant »).";
      data.items.forEach(function (item) {
        var row = el("tr", item.stale ? "stale" : null);
        row.appendChild(el("td", null, item.kind === "rate" ? "montant " + item.id : "document"));
        row.appendChild(el("td", null, item.title));
        row.appendChild(el("td", null, item.figure || "—"));
        row.appendChild(el("td", null, item.dated + (item.origin === "document" && item.kind === "rate" ? " (date du document)" : "")));
        row.appendChild(el("td", null, item.stale ? "à vérifier" : "à jour"));
        rows.appendChild(row);
      });
      $("fresh-table").hidden = false;
    }).catch(function (error) { $("fresh-status").textContent = error.message; });
  }

  function showDocument(docId) {
    var box = $("doc-passages");
    clear(box);
    $("doc-status").textContent = "Chargement…";
    fetch("/api/documents/" + encodeURIComponent(docId)).then(function (r) { return r.json(); }).then(function (doc) {
      $("doc-status").textContent = doc.title + " : " + (doc.passages || []).length + " passage(s).";
      (doc.passages || []).forEach(function (p) {
        var item = el("article", "passage");
        item.appendChild(el("h3", null, p.section || doc.title));
        item.appendChild(el("p", "where", [p.chunk_id, p.page ? "p. " + p.page : null].filter(Boolean).join(" · ")));
        item.appendChild(el("p", "text", p.text));
        box.appendChild(item);
      });
      showFigures(docId, box);
    });
  }

  /* The euro figures the document states: the rates that use them, or the rates.yaml entry to complete. */
  function showFigures(docId, box) {
    call("/api/advisor/documents/" + encodeURIComponent(docId) + "/figures").then(function (figures) {
      var section = el("section", "figures");
      section.appendChild(el("h3", null, "Montants cités (" + figures.length + ")"));
      if (!figures.length) section.appendChild(el("p", "note", "Ce document ne cite aucun montant en euros."));
      figures.forEach(function (f) {
        var item = el("div", "figure");
        item.appendChild(el("p", null, f.figure + " — « " + f.quote + " »"));
        if (f.rates.length) {
          item.appendChild(el("p", "note", "Déjà dans rates.yaml : " + f.rates.join(", ")));
        } else {
          var details = el("details");
          details.appendChild(el("summary", null, "En faire un taux (entrée rates.yaml à compléter)"));
          details.appendChild(el("pre", null, f.entry));
          item.appendChild(details);
        }
        section.appendChild(item);
      });
      box.appendChild(section);
    }, function () {});
  }

  /* --- start --------------------------------------------------------------------------------- */
  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    call("/api/advisor/conversations?limit=1").then(showApp, function () {});
  });
  $("logout").addEventListener("click", function () {
    sessionStorage.removeItem(KEY);
    showLogin("");
  });

  if (token()) call("/api/advisor/conversations?limit=1").then(showApp, function () {});
  else showLogin("");
})();
