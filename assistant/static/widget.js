/*
 * Chat widget of the assistant stages & alternance. One tag adds it to any page:
 *   <script src="https://HOST/widget.js" data-api="https://HOST" defer></script>
 * Options (data-*): api (default: the script's origin), target (CSS selector: render inline
 * there instead of a floating button), title.
 * Everything is rendered with textContent (never innerHTML): answers and passages are text.
 * Styles live in a shadow root, so the host page and the widget do not leak into each other.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) return;
  var API = (script.getAttribute("data-api") || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var TARGET = script.getAttribute("data-target");
  var TITLE = script.getAttribute("data-title") || "Assistant stages & alternance";
  var STARTERS = [
    "J'ai 18 ans, combien en CIP ?",
    "Je suis en 2e année IFAPME, combien je touche ?",
    "C'est quoi le stage d'insertion ?",
    "CISP : combien pour 24 h par semaine ?"
  ];
  var uid = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var SVG_NS = "http://www.w3.org/2000/svg";
  // Material Design icons (Apache 2.0): thumb up / thumb down. Emoji fonts are not everywhere.
  var THUMB_UP = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";
  var THUMB_DOWN = "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z";

  function icon(path) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var shape = document.createElementNS(SVG_NS, "path");
    shape.setAttribute("d", path);
    shape.setAttribute("fill", "currentColor");
    svg.appendChild(shape);
    return svg;
  }

  function nextId(prefix) {
    uid += 1;
    return "asw-" + prefix + "-" + uid;
  }

  function frenchDate(iso) {
    if (!iso) return "";
    var parts = String(iso).split("-");
    if (parts.length !== 3) return String(iso);
    var date = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    try {
      return new Intl.DateTimeFormat("fr-BE", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(date);
    } catch (e) {
      return String(iso);
    }
  }

  function documentLink(docId, chunkId) {
    return API + "/documents/" + encodeURIComponent(docId) + (chunkId ? "#" + encodeURIComponent(chunkId) : "");
  }

  /* --- Server-Sent Events over fetch (EventSource cannot POST) ------------------------------ */
  function parseBlock(block) {
    var event = "message";
    var data = [];
    block.split("\n").forEach(function (line) {
      if (!line || line.charAt(0) === ":") return;
      var colon = line.indexOf(":");
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.charAt(0) === " ") value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    });
    if (!data.length) return null;
    return { event: event, data: data.join("\n") };
  }

  function readEvents(response, onEvent) {
    var decoder = new TextDecoder();
    var buffer = "";
    function feed(text, last) {
      buffer += text;
      var tail = "";
      if (!last && buffer.slice(-1) === "\r") {
        tail = "\r";
        buffer = buffer.slice(0, -1);
      }
      buffer = buffer.replace(/\r\n?/g, "\n");
      var blocks = buffer.split("\n\n");
      buffer = (last ? "" : blocks.pop()) + tail;
      blocks.forEach(function (block) {
        var parsed = parseBlock(block);
        if (parsed) onEvent(parsed.event, JSON.parse(parsed.data));
      });
    }
    if (!response.body || !response.body.getReader) {
      return response.text().then(function (text) { feed(text + "\n\n", true); });
    }
    var reader = response.body.getReader();
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          feed(decoder.decode() + "\n\n", true);
          return;
        }
        feed(decoder.decode(chunk.value, { stream: true }), false);
        return pump();
      });
    }
    return pump();
  }

  function errorFrom(response) {
    return response.json().then(
      function (body) { return new Error((body && body.message) || "Erreur " + response.status); },
      function () { return new Error("Erreur " + response.status + " du serveur."); }
    );
  }

  /* --- the widget ----------------------------------------------------------------------------- */
  function Widget(host, inline) {
    this.inline = inline;
    this.conversationId = null;
    this.busy = false;
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    root.appendChild(el("link", { rel: "stylesheet", href: API + "/static/widget.css" }));
    this.build(root);
  }

  Widget.prototype.build = function (root) {
    var self = this;
    var titleId = nextId("title");
    var inputId = nextId("input");
    var hintId = nextId("hint");

    this.log = el("div", {
      className: "asw-log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": "Conversation",
      tabindex: "0"
    });
    this.log.appendChild(el("div", { className: "asw-msg asw-msg--bot" }, [
      el("div", { className: "asw-bubble" }, [
        el("p", { className: "asw-text", text: "Bonjour ! Je réponds à vos questions sur la CIP, le stage d'insertion professionnelle, la convention de stage IFAPME et la CISP en CEFA, avec mes sources. Les montants sont calculés à partir des barèmes officiels." })
      ])
    ]));
    this.starters = el("div", { className: "asw-starters", role: "group", "aria-label": "Questions fréquentes" },
      STARTERS.map(function (question) {
        return el("button", { type: "button", className: "asw-starter", text: question, onclick: function () { self.ask(question); } });
      }));
    this.log.appendChild(this.starters);

    this.input = el("textarea", {
      id: inputId,
      className: "asw-input",
      rows: "2",
      maxlength: "2000",
      placeholder: "Votre question…",
      "aria-describedby": hintId,
      onkeydown: function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          self.submit();
        }
      }
    });
    this.send = el("button", { type: "submit", className: "asw-send", text: "Envoyer" });
    var form = el("form", {
      className: "asw-form",
      onsubmit: function (event) { event.preventDefault(); self.submit(); }
    }, [
      el("label", { className: "asw-sr", for: inputId, text: "Votre question" }),
      this.input,
      this.send
    ]);
    var hint = el("p", { id: hintId, className: "asw-hint", text: "Entrée pour envoyer, Maj+Entrée pour aller à la ligne. N'indiquez pas de données personnelles (numéro national, IBAN…)." });

    var choiceId = nextId("new");
    this.newButton = el("button", {
      type: "button", className: "asw-icon-btn", "aria-label": "Nouvelle conversation",
      "aria-controls": choiceId, "aria-expanded": "false",
      onclick: function () { self.newConversation(); }
    }, ["Nouvelle", el("span", { className: "asw-wide", text: " conversation" })]);
    var headerButtons = [this.newButton];
    // "Nouvelle conversation" once something was asked: erase it from the server, or keep it.
    this.eraseButton = el("button", { type: "button", className: "asw-small-btn asw-erase", text: "Effacer cette conversation", onclick: function () { self.erase(); } });
    this.choiceStatus = el("p", { className: "asw-error", role: "alert" });
    this.choice = el("div", {
      id: choiceId, className: "asw-new", role: "group", "aria-label": "Nouvelle conversation", hidden: true,
      onkeydown: function (event) {
        if (event.key === "Escape") { event.stopPropagation(); self.closeChoice(true); }
      }
    }, [
      el("p", { className: "asw-new-text", text: "Vos questions sont conservées un temps limité pour améliorer l'assistant, puis effacées. Vous pouvez aussi effacer cette conversation de nos serveurs dès maintenant." }),
      el("div", { className: "asw-new-actions" }, [
        this.eraseButton,
        el("button", { type: "button", className: "asw-small-btn asw-secondary", text: "Recommencer sans effacer", onclick: function () { self.reset(); } }),
        el("button", { type: "button", className: "asw-small-btn asw-secondary", text: "Annuler", onclick: function () { self.closeChoice(true); } })
      ]),
      this.choiceStatus
    ]);
    this.notice = el("p", { className: "asw-notice", role: "status" });
    if (!this.inline) {
      headerButtons.push(el("button", {
        type: "button", className: "asw-icon-btn asw-close", "aria-label": "Fermer l'assistant", text: "×",
        onclick: function () { self.close(); }
      }));
    }
    this.panel = el("section", {
      className: "asw-panel",
      role: this.inline ? "region" : "dialog",
      "aria-labelledby": titleId,
      "aria-modal": this.inline ? null : "false",
      hidden: !this.inline,
      onkeydown: function (event) { if (event.key === "Escape" && !self.inline) self.close(); }
    }, [
      el("header", { className: "asw-header" }, [
        el("div", null, [
          el("h2", { id: titleId, className: "asw-title", text: TITLE }),
          el("p", { className: "asw-subtitle", text: "CIP · stage d'insertion · IFAPME · CISP" })
        ]),
        el("div", { className: "asw-header-actions" }, headerButtons)
      ]),
      this.choice,
      this.notice,
      this.log,
      form,
      hint
    ]);

    var wrapper = el("div", { className: "asw " + (this.inline ? "asw--inline" : "asw--floating") });
    if (!this.inline) {
      this.launcher = el("button", {
        type: "button", className: "asw-launcher", "aria-expanded": "false", "aria-haspopup": "dialog",
        text: "Une question sur ton stage ?",
        onclick: function () { self.open(); }
      });
      wrapper.appendChild(this.launcher);
    }
    wrapper.appendChild(this.panel);
    root.appendChild(wrapper);
  };

  Widget.prototype.open = function () {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.hidden = true;
    this.input.focus();
  };

  Widget.prototype.close = function () {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.focus();
  };

  Widget.prototype.newConversation = function () {
    if (!this.conversationId) { this.reset(); return; }  // nothing stored yet: nothing to erase
    if (!this.choice.hidden) { this.closeChoice(true); return; }
    this.choiceStatus.textContent = "";
    this.choice.hidden = false;
    this.newButton.setAttribute("aria-expanded", "true");
    this.eraseButton.focus();
  };

  Widget.prototype.closeChoice = function (refocus) {
    this.choice.hidden = true;
    this.newButton.setAttribute("aria-expanded", "false");
    if (refocus) this.newButton.focus();
  };

  Widget.prototype.erase = function () {
    var self = this;
    if (this.busy) {
      this.choiceStatus.textContent = "Attendez la fin de la réponse, puis réessayez.";
      return;
    }
    this.eraseButton.disabled = true;
    fetch(API + "/api/conversations/" + encodeURIComponent(this.conversationId), { method: "DELETE" }).then(function (response) {
      // 404: already gone (erased elsewhere, or past the retention period): the same for the user.
      if (!response.ok && response.status !== 404) return errorFrom(response).then(function (error) { throw error; });
      self.reset();
      self.notice.textContent = "Conversation effacée de nos serveurs.";
    }).catch(function (error) {
      // The server's own message says it was not erased ("Conversation non effacée (base indisponible)…").
      self.choiceStatus.textContent = error && error.message && error.message.indexOf("Failed to fetch") < 0 ? error.message : "Le serveur ne répond pas : la conversation n'a pas été effacée.";
    }).then(function () {
      self.eraseButton.disabled = false;
    });
  };

  Widget.prototype.reset = function () {
    this.conversationId = null;
    this.closeChoice(false);
    this.notice.textContent = "";
    while (this.log.children.length > 1) this.log.removeChild(this.log.lastChild);
    this.log.appendChild(this.starters);
    this.input.value = "";
    this.input.focus();
  };

  Widget.prototype.submit = function () {
    var question = this.input.value.trim();
    if (!question || this.busy) return;
    this.input.value = "";
    this.ask(question);
  };

  Widget.prototype.scroll = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  Widget.prototype.ask = function (question) {
    var self = this;
    if (this.busy) return;
    this.busy = true;
    this.send.disabled = true;
    if (this.starters.parentNode) this.starters.parentNode.removeChild(this.starters);

    this.log.appendChild(el("div", { className: "asw-msg asw-msg--user" }, [
      el("p", { className: "asw-bubble asw-text" }, [el("span", { className: "asw-sr", text: "Vous : " }), question])
    ]));
    var message = new Answer(this);
    this.log.appendChild(message.node);
    this.scroll();

    this.notice.textContent = "";
    var body = { message: question };
    if (this.conversationId) body.conversation_id = this.conversationId;
    this.post(body, message, true).catch(function (error) {
      message.fail(error && error.message && error.message.indexOf("Failed to fetch") < 0 ? error.message : "Le serveur ne répond pas. Vérifiez votre connexion et réessayez.");
    }).then(function () {
      message.settle();
      self.busy = false;
      self.send.disabled = false;
      self.scroll();
    });
  };

  // One streamed answer. A 503 (the queue is full, or the server is starting) is retried once by
  // itself after the server's Retry-After (at most RETRY_MAX_S), the wait shown in the answer.
  var RETRY_MAX_S = 30;
  Widget.prototype.post = function (body, message, retry) {
    var self = this;
    return fetch(API + "/api/chat/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 503 && retry) {
        var seconds = Math.min(RETRY_MAX_S, Math.max(1, parseInt(response.headers.get("Retry-After"), 10) || 5));
        message.wait("L'assistant est très demandé : nouvel essai dans " + seconds + " s…");
        return new Promise(function (resolve) { setTimeout(resolve, seconds * 1000); }).then(function () {
          return self.post(body, message, false);
        });
      }
      if (!response.ok) return errorFrom(response).then(function (error) { throw error; });
      return readEvents(response, function (event, data) {
        if (event === "queue") message.wait(data && data.message);
        else if (event === "token") message.addText(data);
        else if (event === "citations") message.setCitations(data);
        else if (event === "calculations") message.setCalculations(data);
        else if (event === "done") {
          self.conversationId = data.conversation_id || self.conversationId;
          message.finish(data);
        } else if (event === "error") message.fail(data && data.message);
        self.scroll();
      });
    });
  };

  /* --- one answer: streamed text, amount cards, citation chips, feedback --------------------- */
  function Answer(widget) {
    this.widget = widget;
    this.text = "";
    this.citations = [];
    this.done = false;
    this.textNode = el("p", { className: "asw-text" });
    this.typing = el("p", { className: "asw-typing", role: "status", text: "L'assistant rédige sa réponse…" });
    this.calcs = el("div", { className: "asw-calcs" });
    this.sources = el("div", { className: "asw-sources" });
    this.footer = el("div", { className: "asw-footer" });
    this.node = el("article", { className: "asw-msg asw-msg--bot", "aria-busy": "true" }, [
      el("div", { className: "asw-bubble" }, [
        el("span", { className: "asw-sr", text: "Assistant : " }),
        this.typing, this.textNode, this.calcs, this.sources
      ]),
      this.footer
    ]);
  }

  // While the question waits (in the generation queue, or for a retry): what the user is told.
  Answer.prototype.wait = function (text) {
    if (text && this.typing.parentNode) this.typing.textContent = text;
  };

  Answer.prototype.addText = function (delta) {
    if (this.typing.parentNode) this.typing.parentNode.removeChild(this.typing);
    this.text += String(delta);
    this.textNode.textContent = this.text;
  };

  Answer.prototype.renderText = function () {
    // Markers [n] become buttons that open the matching citation; the rest stays plain text.
    var self = this;
    var node = this.textNode;
    while (node.firstChild) node.removeChild(node.firstChild);
    var pattern = /\[(\d{1,2})\]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(this.text)) !== null) {
      var chip = this.chipFor(+match[1]);
      node.appendChild(document.createTextNode(this.text.slice(last, match.index)));
      if (chip) {
        node.appendChild(el("button", {
          type: "button", className: "asw-ref", text: match[0],
          "aria-label": "Source " + match[1] + " : " + (chip.citation.title || chip.citation.doc_id),
          onclick: (function (c) { return function () { self.toggle(c, true); }; })(chip)
        }));
      } else {
        node.appendChild(document.createTextNode(match[0]));
      }
      last = match.index + match[0].length;
    }
    node.appendChild(document.createTextNode(this.text.slice(last)));
  };

  Answer.prototype.chipFor = function (marker) {
    for (var i = 0; i < this.citations.length; i++) {
      if (this.citations[i].marker === marker) return this.citations[i];
    }
    return null;
  };

  Answer.prototype.setCitations = function (citations) {
    var self = this;
    while (this.sources.firstChild) this.sources.removeChild(this.sources.firstChild);
    this.citations = [];
    if (!citations || !citations.length) return;
    var list = el("ul", { className: "asw-chips" });
    var panels = el("div", { className: "asw-passages" });
    citations.forEach(function (citation, index) {
      var marker = citation.marker || index + 1;
      var panelId = nextId("passage");
      var where = [citation.section, citation.page ? "p. " + citation.page : ""].filter(Boolean).join(" · ");
      var panel = el("div", { id: panelId, className: "asw-passage", hidden: true, tabindex: "-1" }, [
        el("p", { className: "asw-passage-title", text: "[" + marker + "] " + (citation.title || citation.doc_id) }),
        where ? el("p", { className: "asw-passage-where", text: where }) : null,
        el("blockquote", { className: "asw-snippet", tabindex: "0", text: citation.snippet || "" }),
        el("a", { className: "asw-doc-link", href: documentLink(citation.doc_id, citation.chunk_id), target: "_blank", rel: "noopener", text: "Voir le document" })
      ]);
      var entry = { marker: marker, citation: citation, panel: panel };
      entry.button = el("button", {
        type: "button", className: "asw-chip", "aria-expanded": "false", "aria-controls": panelId,
        title: citation.title || citation.doc_id,
        onclick: function () { self.toggle(entry, false); }
      }, [el("span", { className: "asw-chip-num", text: "[" + marker + "]" }), " " + (citation.title || citation.doc_id)]);
      self.citations.push(entry);
      list.appendChild(el("li", null, [entry.button]));
      panels.appendChild(panel);
    });
    this.sources.appendChild(el("h3", { className: "asw-h3", text: "Sources" }));
    this.sources.appendChild(list);
    this.sources.appendChild(panels);
  };

  Answer.prototype.toggle = function (entry, forceOpen) {
    var open = forceOpen || entry.panel.hidden;
    this.citations.forEach(function (other) {
      other.panel.hidden = true;
      other.button.setAttribute("aria-expanded", "false");
    });
    entry.panel.hidden = !open;
    entry.button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      if (entry.panel.scrollIntoView) entry.panel.scrollIntoView({ block: "nearest" });
      if (forceOpen) entry.panel.focus();
    }
  };

  Answer.prototype.setCalculations = function (calculations) {
    var self = this;
    while (this.calcs.firstChild) this.calcs.removeChild(this.calcs.firstChild);
    (calculations || []).forEach(function (calc) {
      if (calc.result === null || calc.result === undefined) return;
      var meta = [];
      if (calc.source_ids && calc.source_ids.length) {
        var sources = el("p", { className: "asw-card-meta" }, ["Source : "]);
        calc.source_ids.forEach(function (id, i) {
          if (i) sources.appendChild(document.createTextNode(", "));
          var title = (calc.source_titles && calc.source_titles[i]) || id;
          sources.appendChild(el("a", { href: documentLink(id), target: "_blank", rel: "noopener", text: title }));
        });
        meta.push(sources);
      }
      // The date in French comes from the server ("1er septembre 2023"); older builds send only valid_from.
      var dated = calc.dated || (calc.valid_from ? frenchDate(calc.valid_from) : "");
      if (calc.valid_from) meta.push(el("p", { className: "asw-card-meta", text: "Barème en vigueur depuis le " + dated }));
      else if (dated) meta.push(el("p", { className: "asw-card-meta", text: "Date de la source : " + dated }));
      if (calc.stale) meta.push(el("p", { className: "asw-card-stale", text: "Montant ancien : il a pu être indexé depuis." }));
      (calc.notes || []).forEach(function (note) { meta.push(el("p", { className: "asw-card-note", text: note })); });
      self.calcs.appendChild(el("section", { className: "asw-card", "aria-label": "Montant calculé : " + (calc.label || calc.name) }, [
        el("p", { className: "asw-card-label", text: calc.label || calc.name }),
        el("p", { className: "asw-card-figure", text: calc.display || String(calc.result) + " " + (calc.unit || "") }),
        calc.formula ? el("p", { className: "asw-card-formula", text: calc.formula }) : null
      ].concat(meta)));
    });
  };

  Answer.prototype.finish = function (response) {
    this.done = true;
    if (typeof response.answer === "string") this.text = response.answer;
    this.setCitations(response.citations);
    this.setCalculations(response.calculations);
    this.renderText();
    if (this.typing.parentNode) this.typing.parentNode.removeChild(this.typing);
    if (response.refused) this.node.classList.add("asw-msg--refused");
    this.footer.appendChild(new Feedback(this.widget, response).node);
  };

  Answer.prototype.fail = function (messageText) {
    if (this.typing.parentNode) this.typing.parentNode.removeChild(this.typing);
    this.node.classList.add("asw-msg--error");
    this.footer.appendChild(el("p", { className: "asw-error", role: "alert", text: messageText || "Une erreur est survenue. Réessayez." }));
  };

  Answer.prototype.settle = function () {
    this.node.setAttribute("aria-busy", "false");
    if (!this.done && !this.text && !this.node.classList.contains("asw-msg--error")) this.fail();
  };

  /* --- feedback ------------------------------------------------------------------------------- */
  function Feedback(widget, response) {
    var self = this;
    this.response = response;
    this.rating = null;
    var commentId = nextId("comment");
    this.up = el("button", { type: "button", className: "asw-thumb", "aria-pressed": "false", "aria-label": "Réponse utile", title: "Réponse utile", onclick: function () { self.choose("up"); } }, [icon(THUMB_UP)]);
    this.down = el("button", { type: "button", className: "asw-thumb", "aria-pressed": "false", "aria-label": "Réponse pas utile", title: "Réponse pas utile", onclick: function () { self.choose("down"); } }, [icon(THUMB_DOWN)]);
    this.comment = el("textarea", { id: commentId, className: "asw-comment", rows: "2", maxlength: "2000", placeholder: "Qu'est-ce qui manquait ou était faux ?" });
    this.status = el("p", { className: "asw-feedback-status", role: "status" });
    this.form = el("form", {
      className: "asw-feedback-form", hidden: true,
      onsubmit: function (event) { event.preventDefault(); self.post(self.comment.value.trim()); }
    }, [
      el("label", { for: commentId, text: "Commentaire (facultatif)" }),
      this.comment,
      el("button", { type: "submit", className: "asw-small-btn", text: "Envoyer l'avis" })
    ]);
    this.node = el("div", { className: "asw-feedback" }, [
      el("div", { className: "asw-feedback-row", role: "group", "aria-label": "Votre avis sur cette réponse" }, [
        el("span", { className: "asw-feedback-q", text: "Cette réponse vous aide ?" }), this.up, this.down
      ]),
      this.form,
      this.status
    ]);
    if (!response.conversation_id) this.node.hidden = true;
  }

  Feedback.prototype.choose = function (rating) {
    this.rating = rating;
    this.up.setAttribute("aria-pressed", rating === "up" ? "true" : "false");
    this.down.setAttribute("aria-pressed", rating === "down" ? "true" : "false");
    this.form.hidden = false;
    this.status.textContent = "";
    this.comment.focus();
    this.post("", true);
  };

  Feedback.prototype.post = function (comment, quiet) {
    var self = this;
    var body = { conversation_id: this.response.conversation_id, rating: this.rating };
    if (comment) body.comment = comment;
    if (this.response.message_id) body.message_id = this.response.message_id;
    return fetch(API + "/api/feedback", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) return errorFrom(response).then(function (error) { throw error; });
      self.status.textContent = quiet ? "Merci ! Vous pouvez ajouter un commentaire." : "Merci pour votre avis.";
      if (!quiet) self.form.hidden = true;
    }).catch(function (error) {
      self.status.textContent = (error && error.message) || "Avis non envoyé.";
    });
  };

  /* --- start ---------------------------------------------------------------------------------- */
  function start() {
    var container = TARGET ? document.querySelector(TARGET) : null;
    var host = el("div", { className: "asw-host" });
    if (container) container.appendChild(host);
    else document.body.appendChild(host);
    new Widget(host, !!container);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
