using System.Runtime.CompilerServices;

// Every native struct is blittable: C bool is a one-byte C# bool, nothing is marshalled behind our back.
[assembly: DisableRuntimeMarshalling]
