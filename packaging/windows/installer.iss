; Drummond Desktop: the per-user Windows installer (Inno Setup 6.3 or newer).
;
; packaging\windows\build_windows.ps1 builds dist\drummond-desktop\ with PyInstaller
; (packaging\drummond_desktop.spec) and then compiles this script:
;
;   iscc /DAppVersion=0.1.0 packaging\windows\installer.iss
;
; Reviewed, not run in this project's CI (which has no Windows machine).
;
; Signing: build_windows.ps1 defines a Sign Tool on the iscc command line (/Sdrummondsign=...) and
; passes /DSignToolName=drummondsign when WINDOWS_CERT_PFX and WINDOWS_CERT_PASSWORD are set; the
; certificate comes from that environment, never from this file. Inno then signs Setup and its
; uninstaller itself (a Setup signed after compiling would start unsigned temporary copies).
;
; The EODHD API key lives in Windows Credential Manager, not in any folder, and uninstalling never
; touches it. To remove it: Control Panel > Credential Manager > Windows Credentials > Generic
; Credentials > "drummond-desktop" (user name "eodhd") > Remove; or, before uninstalling, run the
; bundled command line: "%LOCALAPPDATA%\Programs\Drummond Desktop\drummond.exe" key clear

#ifndef AppVersion
  ; build_windows.ps1 always passes the version read from pyproject.toml; this default serves a
  ; compile from the IDE and must equal [project] version (tests/packaging checks it).
  #define AppVersion "0.1.0"
#endif
#define AppName "Drummond Desktop"
; The PyInstaller onedir folder and executable, and the platformdirs app name: all the same name.
#define AppSlug "drummond-desktop"
#define AppExeName AppSlug + ".exe"

[Setup]
; Fixed for ever: Windows finds earlier installs (upgrade, uninstall) by this id.
AppId={{597CEED7-10FD-473D-8D68-45AB11ED6347}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Drummond Desktop developers
; Per user: no administrator rights, nothing outside the user's profile.
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
LicenseFile=..\..\LICENSE
OutputDir=..\..\dist
OutputBaseFilename={#AppSlug}-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\{#AppSlug}.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
#ifdef SignToolName
SignTool={#SignToolName}
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole bundle: a library left over from the previous version could be
; imported instead of the new one.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\..\dist\{#AppSlug}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
const
  // platformdirs' Windows folders for the app name (core/paths.py, appauthor=False): data, config
  // and state are this folder, the cache (with the Numba kernels) is its Cache\ and the logs its
  // Logs\. Folders moved with DRUMMOND_*_DIR or --portable are the user's to delete.
  UserDataRoot = '{localappdata}\drummond-desktop';

// The user's databases, settings and drawings outlive the program unless the user asks otherwise;
// a silent uninstall (/SUPPRESSMSGBOXES) keeps them.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Dir: String;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  Dir := ExpandConstant(UserDataRoot);
  if not DirExists(Dir) then
    Exit;
  if SuppressibleMsgBox('Also remove my data?' + #13#10#13#10 +
      'Yes deletes the market and user databases, watchlists, drawings, layouts, settings, logs ' +
      'and the compiled-kernel cache in' + #13#10 + Dir + #13#10#13#10 +
      'No keeps them for a later install. The EODHD API key in Windows Credential Manager is ' +
      'not touched either way.',
      mbConfirmation, MB_YESNO or MB_DEFBUTTON2, IDNO) <> IDYES then
    Exit;
  if not DelTree(Dir, True, True, True) then
    SuppressibleMsgBox('Some files in ' + Dir + ' could not be removed (still in use?). ' +
      'Delete the folder by hand.', mbError, MB_OK, IDOK);
end;
