// Live thread: the page listens on the topic's WebSocket. "post.created" fetches the posts written after the
// newest one shown and appends them; "post.changed" fetches that post again and replaces it (or removes it
// when it is no longer visible). Pings carry no content: every fetch goes through the permission-checked
// fragment views. New replies are announced to screen readers without moving the focus. Without
// JavaScript the page works as it is (reload to see new replies).
(function () {
  const list = document.getElementById("posts");
  if (!list || !("WebSocket" in window)) return;
  const status = document.getElementById("live-status");
  const live = list.dataset.live === "true"; // only the thread's last page grows
  let delay = 1000;
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

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + list.dataset.socket);
    socket.onopen = () => {
      if (delay > 1000) queue(fetchNew); // back after a lost connection: fetch what was missed
      delay = 1000;
      list.dataset.connected = "true";
    };
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.type === "post.created") queue(fetchNew);
      else if (message.type === "post.changed") queue(() => refresh(message.post));
    };
    socket.onclose = (event) => {
      list.dataset.connected = "false";
      if (event.code === 4404) return; // not allowed to read: nothing to wait for
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
