// Live thread: the page listens on the topic's WebSocket. "post.created" fetches the posts written after the
// newest one shown and appends them; "post.changed" fetches that post again and replaces it (or removes it
// when it is no longer visible). Pings carry no content: every fetch goes through the permission-checked
// fragment views. New replies are announced to screen readers without moving the focus. Without
// JavaScript the page works as it is (reload to see new replies).
(function () {
  const list = document.getElementById("posts");
  if (!list || !("WebSocket" in window) || !window.SiteSocket) return;
  const status = document.getElementById("live-status");
  const live = list.dataset.live === "true"; // only the thread's last page grows
  let busy = Promise.resolve();

  function newest() {
    const posts = list.querySelectorAll("article[data-post]");
    return posts.length ? Number(posts[posts.length - 1].dataset.post) : 0;
  }

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html; // our own server-rendered fragment, Markdown sanitised on the server
    return Array.from(template.content.querySelectorAll("article[data-post]"));
  }

  function announce(post) {
    const name = post.querySelector(".post-author");
    if (status && name) status.textContent = status.dataset.new.replace("%(name)s", name.textContent.trim());
  }

  async function fetchNew() {
    if (!live) return;
    const reply = await fetch(list.dataset.afterUrl + "?after=" + newest(), { credentials: "same-origin" });
    if (!reply.ok) return;
    for (const post of parse(await reply.text())) {
      if (document.getElementById(post.id)) continue;
      list.appendChild(post);
      announce(post);
    }
  }

  async function refresh(id) {
    const current = document.getElementById("post-" + id);
    if (!current) return;
    const reply = await fetch(list.dataset.postUrl.replace("/0/", "/" + id + "/"), { credentials: "same-origin" });
    if (reply.status === 404) { current.remove(); return; }
    if (!reply.ok) return;
    const fresh = parse(await reply.text())[0];
    if (!fresh) return;
    const hadFocus = current.contains(document.activeElement);
    current.replaceWith(fresh);
    if (hadFocus) fresh.focus({ preventScroll: true }); // keyboard users keep their place in the thread
  }

  function queue(task) { busy = busy.then(task).catch(() => {}); } // one fetch at a time, in order

  SiteSocket.open(list.dataset.socket, {
    baseDelay: 1000,
    maxDelay: 30000,
    jitter: 0,
    onOpen(info) {
      if (info.reconnected) queue(fetchNew); // back after a lost connection: fetch what was missed
      list.dataset.connected = "true";
    },
    onMessage(message) {
      if (message.type === "post.created") queue(fetchNew);
      else if (message.type === "post.changed") queue(() => refresh(message.post));
    },
    onClose(event) {
      list.dataset.connected = "false";
      return event.code !== 4404; // not allowed to read: nothing to wait for
    },
  });
})();
