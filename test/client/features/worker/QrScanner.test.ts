// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import QrScanner from '../../../../client/src/features/worker/QrScanner.vue';
import { deferred } from '../../auth.fixtures';

/** A camera whose stream and `play()` answer when the test says so. */
function fakeCamera() {
  const track = { stop: vi.fn() };
  // happy-dom's video takes only its own MediaStream, which has no tracks.
  const stream = Object.assign(new MediaStream(), { getTracks: () => [track] });
  const granted = deferred<MediaStream>();
  const playing = deferred<void>();
  const detect = vi.fn(async () => [] as { rawValue: string }[]);
  vi.stubGlobal(
    'BarcodeDetector',
    class {
      detect = detect;
    },
  );
  vi.stubGlobal('navigator', {
    ...navigator,
    mediaDevices: { getUserMedia: vi.fn(() => granted.promise) },
  });
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(() => playing.promise);
  return { track, stream, granted, playing, detect };
}

describe('QrScanner', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  const mountScanner = () => mount(QrScanner, { global: { plugins: [createPinia()] } });

  // Timers are counted from a baseline taken once the component is up: happy-dom keeps its own.
  it('scans camera frames once the video plays, and stops the camera when it goes', async () => {
    const camera = fakeCamera();
    const w = mountScanner();
    camera.granted.resolve(camera.stream);
    await flushPromises();
    const baseline = vi.getTimerCount();

    camera.playing.resolve();
    await flushPromises();
    expect(vi.getTimerCount()).toBe(baseline + 1);
    expect(w.get('video').isVisible()).toBe(true);

    w.unmount();
    expect(vi.getTimerCount()).toBe(baseline);
    expect(camera.track.stop).toHaveBeenCalled();
  });

  it('starts no scanning and turns the camera off when the form closes while the video starts', async () => {
    const camera = fakeCamera();
    const w = mountScanner();
    camera.granted.resolve(camera.stream);
    await flushPromises();
    const baseline = vi.getTimerCount();

    w.unmount();
    camera.playing.resolve();
    await flushPromises();

    expect(vi.getTimerCount()).toBe(baseline);
    expect(camera.track.stop).toHaveBeenCalled();
  });

  it('turns the camera off when the form closes while the phone asks for permission', async () => {
    const camera = fakeCamera();
    const w = mountScanner();
    await flushPromises();
    const baseline = vi.getTimerCount();

    w.unmount();
    camera.granted.resolve(camera.stream);
    camera.playing.resolve();
    await flushPromises();

    expect(camera.track.stop).toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(baseline);
  });
});
