// Exposes exactly the MonitorApi to the renderer: one method per call, one event subscription, and
// nothing else (no ipcRenderer, no channel names chosen by the page).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { HostEvent, MonitorApi } from '../shared/api.ts';
import { API_METHODS, IPC_EVENT_CHANNEL, ipcChannel } from '../shared/ipc.ts';

const calls = Object.fromEntries(
  API_METHODS.map((method) => [
    method,
    (args: unknown) => ipcRenderer.invoke(ipcChannel(method), args ?? {}),
  ]),
);

const api = {
  ...calls,
  onEvent(listener: (event: HostEvent) => void) {
    const wrapped = (_event: IpcRendererEvent, payload: HostEvent) => listener(payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.off(IPC_EVENT_CHANNEL, wrapped);
    };
  },
} as MonitorApi;

contextBridge.exposeInMainWorld('monitorApi', api);
