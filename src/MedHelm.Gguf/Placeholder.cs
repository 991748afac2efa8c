namespace MedHelm.Gguf; internal static class Placeholder { }
