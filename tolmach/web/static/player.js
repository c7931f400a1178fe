// The review page's player: the clip's video (or audio) with its English and original subtitle tracks,
// one of them showing at a time, and the tracks' cues kept up to date with the edits; and the listening
// tools: playback speed (pitch kept), a line looped, a line played from 2 s before it.
'use strict';

(function () {
  const { el, parseClock, showError } = window.tolmach;

  // Enough WebVTT for what our server writes: blocks of a timing line and the cue's text.
  function parseVtt(text) {
    const cues = [];
    for (const block of text.replace(/\r/g, '').split(/\n{2,}/)) {
      const rows = block.split('\n');
      const at = rows.findIndex((row) => row.includes('-->'));
      if (at < 0) continue; // the header, NOTE and STYLE blocks
      const [start, end] = rows[at]
        .split('-->')
        .map((part) => parseClock(part.trim().split(/\s+/)[0]) / 1000);
      cues.push(new VTTCue(start, end, rows.slice(at + 1).join('\n')));
    }
    return cues;
  }

  // The loaded tracks get their cues again from the server; a track not loaded yet fetches the
  // current text when it is first shown. (Replacing the <track> elements instead would make
  // Chromium run its own track selection again, and show two tracks at once.)
  async function reloadCues(media) {
    for (const node of media.querySelectorAll('track')) {
      if (node.readyState !== HTMLTrackElement.LOADED) continue;
      const response = await fetch(node.src, { credentials: 'same-origin', cache: 'no-store' });
      if (!response.ok) continue;
      const cues = parseVtt(await response.text());
      const track = node.track;
      const mode = track.mode;
      if (mode === 'disabled') track.mode = 'hidden'; // a disabled track hides its cue list
      for (const cue of [...track.cues]) track.removeCue(cue);
      for (const cue of cues) track.addCue(cue);
      track.mode = mode;
    }
  }

  // options: base (the clip's API path), hasVideo, language (of the original), button (cycles the
  // tracks), onTime(ms, seeked) (called as playback moves).
  function createPlayer(container, options) {
    const media = el(options.hasVideo ? 'video' : 'audio', {
      controls: true,
      preload: 'metadata',
      src: `${options.base}/media`,
    });
    const tracks = [['en', 'English']]; // [language, label] in the order the button cycles, then off
    if (options.language && options.language !== 'en') {
      tracks.push([options.language, `Original (${options.language})`]);
    }
    for (const [language, label] of tracks) {
      media.append(
        el('track', {
          kind: 'subtitles',
          srclang: language,
          label,
          src: `${options.base}/tracks/${language}.vtt`,
        }),
      );
    }
    let showing = 0;
    let refreshTimer = 0;

    function apply() {
      const wanted = tracks[showing];
      for (const track of media.textTracks) {
        track.mode = wanted && track.language === wanted[0] ? 'showing' : 'disabled';
      }
      options.button.textContent = `Subtitles: ${wanted ? wanted[1] : 'off'}`;
    }

    media.addEventListener('timeupdate', () => options.onTime(media.currentTime * 1000, false));
    media.addEventListener('seeked', () => options.onTime(media.currentTime * 1000, true));
    // Chromium runs its own track selection once the media loads, and may turn on a second track
    media.addEventListener('loadedmetadata', apply);
    options.button.addEventListener('click', () => {
      showing = (showing + 1) % (tracks.length + 1);
      apply();
    });
    container.replaceChildren(media);
    apply();

    // Listening: a line looped, or played to its end and no further. Checked every frame while
    // playing (timeupdate comes only every 250 ms, a quarter of a second past the line).
    let loop = null; // () => the {start, end} to stay within, or null
    let until = -1; // pause once playback reaches this (ms)
    let frame = 0;
    function guard() {
      frame = 0;
      const ms = media.currentTime * 1000;
      const range = loop && loop();
      if (range && ms >= range.end) {
        media.currentTime = range.start / 1000;
        until = -1;
      } else if (until >= 0 && ms >= until) {
        until = -1;
        media.pause();
      }
      if (!media.paused && (loop || until >= 0)) frame = requestAnimationFrame(guard);
    }
    const watch = () => {
      if (!frame && !media.paused && (loop || until >= 0)) frame = requestAnimationFrame(guard);
    };
    media.addEventListener('play', watch);
    media.addEventListener('seeked', () => {
      // a seek made by hand outside the range ends a "play to the line's end"
      if (until >= 0 && media.currentTime * 1000 > until) until = -1;
    });

    return {
      media,
      seek(ms) {
        media.currentTime = ms / 1000;
      },
      // 0.5-1.5; the pitch is kept, so a slowed voice still sounds like the speaker
      setRate(rate) {
        media.preservesPitch = true;
        media.defaultPlaybackRate = rate; // a reload of the media would otherwise reset it
        media.playbackRate = rate;
      },
      // range(): the line to loop, asked every frame (the selection may move), or null to stop
      setLoop(range) {
        loop = range;
        watch();
      },
      // play from `fromMs` and pause at `untilMs` (the 2 s before a line, then the line)
      playRange(fromMs, untilMs) {
        until = untilMs;
        media.currentTime = Math.max(0, fromMs) / 1000;
        media.play().catch(showError);
        watch();
      },
      toggle() {
        if (media.paused) media.play().catch(showError);
        else media.pause();
      },
      // after an edit: several saves in a row cost one reload
      refresh() {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(() => reloadCues(media).catch(showError), 300);
      },
    };
  }

  window.tolmach.createPlayer = createPlayer;
})();
