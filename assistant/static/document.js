/* Document view: a source document's metadata and its indexed passages (text only, no HTML). */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  var docId = decodeURIComponent(location.pathname.replace(/^\/documents\//, "").replace(/\/$/, ""));
  var status = document.getElementById("doc-status");

  fetch("/api/documents/" + encodeURIComponent(docId)).then(function (response) {
    if (!response.ok) throw new Error(response.status === 404 ? "Document introuvable." : "Erreur " + response.status + ".");
    return response.json();
  }).then(function (doc) {
    document.title = doc.title + " — Assistant stages & alternance";
    document.getElementById("doc-title").textContent = doc.title;
    var meta = document.getElementById("doc-meta");
    [doc.publisher, doc.region, doc.updated ? "mis à jour le " + doc.updated : null].filter(Boolean).forEach(function (part, i) {
      if (i) meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(document.createTextNode(part));
    });
    if (doc.url && /^https?:\/\//.test(doc.url)) {
      meta.appendChild(document.createTextNode(" · "));
      var link = el("a", null, "source en ligne");
      link.href = doc.url;
      link.rel = "noopener";
      meta.appendChild(link);
    }
    var list = document.getElementById("passages");
    var passages = doc.passages || [];
    status.textContent = passages.length
      ? passages.length + " passages indexés."
      : (doc.passages_available === false ? "Les passages ne sont pas disponibles (index non chargé)." : "Aucun passage indexé.");
    passages.forEach(function (p) {
      var item = el("article", "passage");
      item.id = p.chunk_id;
      item.tabIndex = -1;
      item.appendChild(el("h2", null, p.section || doc.title));
      var where = [p.page ? "page " + p.page : null, p.chunk_id].filter(Boolean).join(" · ");
      item.appendChild(el("p", "where", where));
      item.appendChild(el("p", "text", p.text));
      list.appendChild(item);
    });
    var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (target) {
      target.classList.add("is-target");
      target.scrollIntoView();
      target.focus();
    }
  }).catch(function (error) {
    status.textContent = error.message;
    status.className = "error";
  });
})();
